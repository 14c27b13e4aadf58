package export

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteSummary prints the daily summary as an aligned table, for the
// screen (`checkpoint export --summary` or `checkpoint status`).
func WriteSummary(w io.Writer, days []Day, lang string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, h := range summaryHeader(lang) {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, d := range days {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", d.cells()...)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	return nil
}
