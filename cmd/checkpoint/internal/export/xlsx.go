package export

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/store"
	"yanma/verify"
)

// WriteXLSX writes an Excel workbook: the records, a daily summary and, when
// there are enterprise entries, the attendance; in lang, times in the
// kiosk's zone.
func WriteXLSX(w io.Writer, entries []store.Entry, lang string) error {
	return Options{Lang: lang}.XLSX(w, entries)
}

// Sheet names.
func sheetNames(lang string) (records, summary, attendance string) {
	if i18n.English(lang) {
		return "Records", "Daily summary", "Attendance"
	}
	return "记录", "每日汇总", "考勤"
}

// XLSX writes the workbook.
func (o Options) XLSX(w io.Writer, entries []store.Entry) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("xlsx: %w", cerr)
		}
	}()
	records, summary, attendance := sheetNames(o.Lang)
	if err := f.SetSheetName("Sheet1", records); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDDDDD"}}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}

	rows := make([][]any, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, textCells(o.row(e)))
	}
	if err := writeSheet(f, records, bold, header(o.Lang), rows, []float64{20, 14, 14, 22, 8, 12, 8, 24, 14, 10, 28}); err != nil {
		return err
	}

	if _, err := f.NewSheet(summary); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	rows = rows[:0]
	for _, d := range Summarize(entries, o.loc()) {
		rows = append(rows, d.cells())
	}
	if err := writeSheet(f, summary, bold, summaryHeader(o.Lang), rows, []float64{12, 8, 8, 10, 8, 8, 8, 8, 8}); err != nil {
		return err
	}

	if hasSite(entries, verify.SiteEnterprise) {
		if _, err := f.NewSheet(attendance); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		rows = rows[:0]
		for _, a := range Attendance(entries, o.loc(), o.LateAfter) {
			rows = append(rows, textCells(o.attendanceRow(a)))
		}
		if err := writeSheet(f, attendance, bold, attendanceHeader(o.Lang), rows, []float64{12, 10, 14, 22, 8, 12, 8, 6}); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// writeSheet writes a bold frozen header and the rows through excelize's
// stream writer, which keeps a month of entries out of memory twice over.
func writeSheet(f *excelize.File, sheet string, headerStyle int, head []string, rows [][]any, widths []float64) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx %s: %w", sheet, err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("xlsx %s: %w", sheet, err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx %s: %w", sheet, err)
	}
	hcells := make([]any, len(head))
	for i, h := range head {
		hcells[i] = excelize.Cell{StyleID: headerStyle, Value: h}
	}
	if err := sw.SetRow("A1", hcells); err != nil {
		return fmt.Errorf("xlsx %s: %w", sheet, err)
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("xlsx %s: %w", sheet, err)
		}
		if err := sw.SetRow(cell, r); err != nil {
			return fmt.Errorf("xlsx %s: %w", sheet, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx %s: %w", sheet, err)
	}
	return nil
}

// textCells makes cells of text: a stream writer writes a string as text,
// never as a formula.
func textCells(r []string) []any {
	out := make([]any, len(r))
	for i, s := range r {
		out[i] = s
	}
	return out
}

func hasSite(entries []store.Entry, s verify.Site) bool {
	for _, e := range entries {
		if e.Site == s {
			return true
		}
	}
	return false
}
