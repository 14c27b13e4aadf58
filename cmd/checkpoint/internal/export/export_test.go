package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"yanma/store"
	"yanma/verify"
)

var cst = time.FixedZone("CST", 8*3600)

func at(day, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// shift is two days at a checkpoint and a factory gate.
func shift() []store.Entry {
	ok := verify.ReasonOK
	return []store.Entry{
		{Time: at("2020-02-10", "08:01"), Site: verify.SiteRoad, Name: "张*三", IDMasked: "4501**********1234", Color: verify.Green, Valid: true, Reason: ok, TemperatureC: 36.5, ThresholdC: 37.3, Verdict: verify.VerdictPass, Issuer: "450000", Person: "aa"},
		{Time: at("2020-02-10", "08:02"), Site: verify.SiteRoad, Name: "李*", IDMasked: "4502**********5678", Color: verify.Green, Valid: true, Reason: ok, TemperatureC: 38.2, ThresholdC: 37.3, Verdict: verify.VerdictDeny, Report: verify.ReportFever, Person: "bb"},
		{Time: at("2020-02-10", "08:03"), Site: verify.SiteRoad, Name: "王*五", IDMasked: "4503**********9012", Color: verify.Red, Valid: true, Reason: ok, Verdict: verify.VerdictDeny, Report: verify.ReportRedSighting, Person: "cc"},
		{Time: at("2020-02-10", "08:04"), Site: verify.SiteMall, Name: "=HYPERLINK(\"x\")", Color: verify.Green, Reason: verify.ReasonBadSignature, Verdict: verify.VerdictDeny},
		{Time: at("2020-02-11", "08:55"), Site: verify.SiteEnterprise, Name: "赵*", IDMasked: "4504**********3456", Color: verify.Green, Valid: true, Reason: ok, TemperatureC: 36.6, Verdict: verify.VerdictPass, Person: "dd"},
		{Time: at("2020-02-11", "09:20"), Site: verify.SiteEnterprise, Name: "钱*", IDMasked: "4505**********7890", Color: verify.Yellow, Valid: true, Reason: ok, Verdict: verify.VerdictDeny, Person: "ee"},
		{Time: at("2020-02-11", "12:00"), Site: verify.SiteEnterprise, Name: "赵*", IDMasked: "4504**********3456", Color: verify.Green, Valid: true, Reason: ok, TemperatureC: 36.7, Verdict: verify.VerdictPass, Person: "dd"},
	}
}

// recorded puts the shift through a real store and reads it back, as
// `checkpoint export` does.
func recorded(t *testing.T) []store.Entry {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "yanma.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, e := range shift() {
		if _, err := db.Record(e, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Entries(at("2020-02-01", "00:00"), at("2020-03-01", "00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(shift()) {
		t.Fatalf("store gave %d entries, want %d", len(got), len(shift()))
	}
	return got
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no UTF-8 byte-order mark: %q", b[:min(len(b), 8)])
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCSVRoundTrip(t *testing.T) {
	entries := recorded(t)
	tests := []struct {
		lang      string
		header0   string
		feverRow  []string // columns 2.. of the fever person
		forgedWhy string
	}{
		{"zh", "时间", []string{"李*", "4502**********5678", "绿码", "38.2", "拒绝", "体温异常", "体温异常上报"}, string(verify.ReasonBadSignature.Message("zh"))},
		{"en", "time", []string{"李*", "4502**********5678", "green", "38.2", "deny", "fever", "fever report"}, string(verify.ReasonBadSignature.Message("en"))},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := (Options{Lang: tc.lang, Location: cst}).CSV(&buf, entries); err != nil {
				t.Fatal(err)
			}
			rows := readCSV(t, buf.Bytes())
			if len(rows) != len(entries)+1 || rows[0][0] != tc.header0 {
				t.Fatalf("rows %d, header %q", len(rows), rows[0])
			}
			if got := rows[1]; got[0] != "2020-02-10 08:01:00" || got[2] != "张*三" || got[3] != "4501**********1234" {
				t.Errorf("first row %q", got)
			}
			if got := rows[2][2:9]; strings.Join(got, "|") != strings.Join(tc.feverRow, "|") {
				t.Errorf("fever row %q, want %q", got, tc.feverRow)
			}
			if got := rows[4][7]; got != tc.forgedWhy {
				t.Errorf("forged reason %q, want %q", got, tc.forgedWhy)
			}
			if got := rows[4][2]; got != `'=HYPERLINK("x")` {
				t.Errorf("a formula in a name was not defused: %q", got)
			}
		})
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	entries := recorded(t)
	var buf bytes.Buffer
	if err := (Options{Lang: "zh", Location: cst, LateAfter: "09:00"}).XLSX(&buf, entries); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "记录,每日汇总,考勤" {
		t.Fatalf("sheets %q", got)
	}

	rows, err := f.GetRows("记录")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(entries)+1 {
		t.Fatalf("%d record rows, want %d", len(rows), len(entries)+1)
	}
	for i, e := range entries {
		if rows[i+1][2] != e.Name || rows[i+1][3] != e.IDMasked {
			t.Errorf("row %d: name %q ID %q, want %q %q", i+1, rows[i+1][2], rows[i+1][3], e.Name, e.IDMasked)
		}
	}
	if v, _ := f.GetCellValue("记录", "A5"); v != "2020-02-10 08:04:00" {
		t.Errorf("A5 = %q", v)
	}
	if formula, _ := f.GetCellFormula("记录", "C5"); formula != "" {
		t.Errorf("a name became a formula: %q", formula)
	}

	sum, err := f.GetRows("每日汇总")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"日期", "总数", "通行", "码色拒绝", "黄码", "红码", "灰码", "发热", "无效"},
		{"2020-02-10", "4", "1", "1", "0", "1", "0", "1", "1"},
		{"2020-02-11", "3", "2", "1", "1", "0", "0", "0", "0"},
	}
	if got, w := join(sum), join(want); got != w {
		t.Errorf("summary\n%s\nwant\n%s", got, w)
	}

	att, err := f.GetRows("考勤")
	if err != nil {
		t.Fatal(err)
	}
	wantAtt := [][]string{
		attendanceHeader("zh"),
		{"2020-02-11", "08:55:00", "赵*", "4504**********3456", "绿码", "36.6", "通行"},
		{"2020-02-11", "09:20:00", "钱*", "4505**********7890", "黄码", "", "拒绝", "是"},
	}
	if got, w := join(att), join(wantAtt); got != w {
		t.Errorf("attendance\n%s\nwant\n%s", got, w)
	}
}

func join(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestNoAttendanceSheetWithoutEnterprise(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, shift()[:3], "en"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Records,Daily summary" {
		t.Fatalf("sheets %q", got)
	}
}

func TestApply(t *testing.T) {
	entries := shift()
	tests := []struct {
		name string
		f    Filter
		want []int // indexes into shift()
	}{
		{"no filter", Filter{}, []int{0, 1, 2, 3, 4, 5, 6}},
		{"from", Filter{From: at("2020-02-11", "00:00")}, []int{4, 5, 6}},
		{"to is exclusive", Filter{To: at("2020-02-10", "08:03")}, []int{0, 1}},
		{"colour", Filter{Colors: []verify.Color{verify.Red, verify.Yellow}}, []int{2, 5}},
		{"site", Filter{Sites: []verify.Site{verify.SiteMall}}, []int{3}},
		{"all together", Filter{From: at("2020-02-10", "00:00"), To: at("2020-02-11", "00:00"), Colors: []verify.Color{verify.Green}, Sites: []verify.Site{verify.SiteRoad}}, []int{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Apply(entries, tc.f)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d entries, want %d", len(got), len(tc.want))
			}
			for i, idx := range tc.want {
				if got[i].Time != entries[idx].Time {
					t.Errorf("entry %d is %v, want %v", i, got[i].Time, entries[idx].Time)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	if c, err := ParseColors("red, Yellow"); err != nil || len(c) != 2 || c[1] != verify.Yellow {
		t.Errorf("ParseColors = %v, %v", c, err)
	}
	if _, err := ParseColors("blue"); !errors.Is(err, ErrBadFilter) {
		t.Errorf("blue: err = %v", err)
	}
	if s, err := ParseSites("transit"); err != nil || len(s) != 1 {
		t.Errorf("ParseSites = %v, %v", s, err)
	}
	if _, err := ParseSites("moon"); !errors.Is(err, ErrBadFilter) {
		t.Errorf("moon: err = %v", err)
	}
	to, err := ParseDayEnd("2020-02-10", cst)
	if err != nil || !to.Equal(at("2020-02-11", "00:00")) {
		t.Errorf("ParseDayEnd = %v, %v", to, err)
	}
	from, err := ParseDay("2020-02-10T08:00:00+08:00", cst)
	if err != nil || !from.Equal(at("2020-02-10", "08:00")) {
		t.Errorf("ParseDay RFC 3339 = %v, %v", from, err)
	}
	if _, err := ParseDay("yesterday", cst); !errors.Is(err, ErrBadFilter) {
		t.Errorf("yesterday: err = %v", err)
	}
}

func TestWriteSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, Summarize(shift(), cst), "en"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "2020-02-10") || !strings.Contains(lines[0], "fevers") {
		t.Errorf("summary:\n%s", buf.String())
	}
}
