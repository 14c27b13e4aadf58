package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"yanma/store"
)

// bom makes Excel read the file as UTF-8; without it the Chinese turns to
// mojibake on a supervisor's desktop.
const bom = "\uFEFF"

// WriteCSV writes entries as CSV with a UTF-8 byte-order mark, in lang
// ("zh" or "en"), times in the kiosk's zone.
func WriteCSV(w io.Writer, entries []store.Entry, lang string) error {
	return Options{Lang: lang}.CSV(w, entries)
}

// CSV writes entries as CSV with a UTF-8 byte-order mark.
func (o Options) CSV(w io.Writer, entries []store.Entry) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(bom); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	if err := cw.Write(header(o.Lang)); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	for _, e := range entries {
		r := o.row(e)
		for i := range r {
			r[i] = defuse(r[i])
		}
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// defuse keeps a cell from being run as a formula when the CSV is opened in
// a spreadsheet: names come from codes people show, and a forged code can
// carry "=HYPERLINK(…)". A leading apostrophe makes it text.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
