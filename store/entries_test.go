package store

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	gosync "sync"
	"testing"
	"time"

	"yanma/verify"
)

func testEntry(at time.Time) Entry {
	return Entry{
		Time: at, Site: verify.SiteRoad, Issuer: "450000", JTI: "j1",
		Name: "张*", IDMasked: "4501**********1234", Color: verify.Green,
		Valid: true, Reason: verify.ReasonOK, TemperatureC: 36.6, ThresholdC: 37.3,
		Verdict: verify.VerdictPass,
	}
}

func testReport(kind verify.ReportKind) *Report {
	return &Report{Kind: kind, Issuer: "450000", Sub: "sub-1", JTI: "j1", Color: verify.Green, TemperatureC: 38.2}
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name        string
		entry       Entry
		report      *Report
		wantErr     error
		wantPending int
	}{
		{name: "entry only", entry: testEntry(testT0)},
		{name: "entry with fever report", entry: testEntry(testT0), report: testReport(verify.ReportFever), wantPending: 1},
		{name: "entry with red sighting", entry: testEntry(testT0), report: testReport(verify.ReportRedSighting), wantPending: 1},
		{name: "report without kind", entry: testEntry(testT0), report: testReport(verify.ReportNone), wantErr: ErrInvalidRecord},
		{name: "zero time takes the clock", entry: Entry{Verdict: verify.VerdictDeny, Reason: verify.ReasonMalformed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, WithClock(func() time.Time { return testT0 }))
			got, err := db.Record(tc.entry, tc.report)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Record error = %v, want %v", err, tc.wantErr)
			}
			entries, err := db.Entries(testT0.Add(-time.Hour), testT0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			pending, err := db.PendingReports(0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != nil {
				if len(entries) != 0 || len(pending) != 0 {
					t.Fatalf("refused record left %d entries, %d reports", len(entries), len(pending))
				}
				return
			}
			if got.ID == "" || got.Time.IsZero() {
				t.Fatalf("Record did not fill ID/Time: %+v", got)
			}
			if len(entries) != 1 || entries[0].ID != got.ID {
				t.Fatalf("Entries = %+v, want the one recorded (%s)", entries, got.ID)
			}
			if len(pending) != tc.wantPending {
				t.Fatalf("pending = %d, want %d", len(pending), tc.wantPending)
			}
			if tc.report != nil {
				r := pending[0]
				if r.ID == "" || r.ID == got.ID || !r.Time.Equal(got.Time) || r.Site != got.Site || r.Kind != tc.report.Kind {
					t.Fatalf("report stored as %+v for entry %+v", r, got)
				}
				if got.Report != tc.report.Kind {
					t.Fatalf("entry.Report = %q, want %q", got.Report, tc.report.Kind)
				}
			}
		})
	}
}

func TestRecordDuplicateReportIDChangesNothing(t *testing.T) {
	db := openTest(t)
	r := testReport(verify.ReportFever)
	r.ID = "fixed"
	if _, err := db.Record(testEntry(testT0), r); err != nil {
		t.Fatal(err)
	}
	_, err := db.Record(testEntry(testT0.Add(time.Second)), r)
	if !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("second record with the same report id: %v, want ErrInvalidRecord", err)
	}
	entries, _ := db.Entries(testT0, testT0.Add(time.Hour))
	if len(entries) != 1 {
		t.Fatalf("entries = %d, want 1 (the refused record must leave nothing)", len(entries))
	}
	if n, _, _ := db.OutboxStats(); n != 1 {
		t.Fatalf("outbox = %d, want 1", n)
	}
}

func TestIDsTimeOrderedAndUnique(t *testing.T) {
	db := openTest(t)
	var prev string
	seen := map[string]bool{}
	for i := range 500 {
		at := testT0.Add(time.Duration(i/100) * time.Millisecond) // many in one millisecond
		e, err := db.Record(testEntry(at), nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.ID] || e.ID <= prev {
			t.Fatalf("id %d = %s after %s: not unique and increasing", i, e.ID, prev)
		}
		seen[e.ID], prev = true, e.ID
	}
}

func TestEntriesRangeAndPurge(t *testing.T) {
	db := openTest(t)
	for d := range 30 {
		for h := range 3 {
			if _, err := db.Record(testEntry(testT0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour)), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"all", testT0, testT0.AddDate(0, 0, 30), 90},
		{"one day", testT0.AddDate(0, 0, 2), testT0.AddDate(0, 0, 3), 3},
		{"to is exclusive", testT0, testT0, 0},
		{"half a day", testT0.Add(90 * time.Minute), testT0.Add(24 * time.Hour), 1},
		{"before all", testT0.AddDate(-1, 0, 0), testT0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Entries(tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("Entries = %d, want %d", len(got), tc.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Time.Before(got[i-1].Time) {
					t.Fatalf("entries not oldest first at %d", i)
				}
			}
		})
	}
	n, err := db.Purge(testT0.AddDate(0, 0, 28))
	if err != nil || n != 84 {
		t.Fatalf("Purge = %d, %v; want 84", n, err)
	}
	left, _ := db.Entries(time.Time{}, testT0.AddDate(1, 0, 0))
	if len(left) != 6 || left[0].Time.Before(testT0.AddDate(0, 0, 28)) {
		t.Fatalf("after purge %d entries left, first %v", len(left), left[0].Time)
	}
}

func TestPendingReportsOrderAndAck(t *testing.T) {
	db := openTest(t)
	kinds := []verify.ReportKind{verify.ReportFever, verify.ReportRedSighting, verify.ReportFever, verify.ReportRedSighting, "future_kind"}
	var ids []string
	for i, k := range kinds {
		r := testReport(k)
		r.ID = fmt.Sprintf("r%d", i)
		if _, err := db.Record(testEntry(testT0.Add(time.Duration(i)*time.Minute)), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	tests := []struct {
		name string
		max  int
		want []string
	}{
		{"all", 0, []string{"r1", "r3", "r0", "r2", "r4"}},
		{"first two are the red sightings", 2, []string{"r1", "r3"}},
		{"three", 3, []string{"r1", "r3", "r0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.PendingReports(tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if g := reportIDs(got); fmt.Sprint(g) != fmt.Sprint(tc.want) {
				t.Fatalf("PendingReports(%d) = %v, want %v", tc.max, g, tc.want)
			}
		})
	}

	n, oldest, err := db.OutboxStats()
	if err != nil || n != 5 || !oldest.Equal(testT0) {
		t.Fatalf("OutboxStats = %d, %v, %v; want 5, %v", n, oldest, err, testT0)
	}
	for range 2 { // idempotent
		if err := db.AckReports([]string{"r0", "r1", "unknown"}); err != nil {
			t.Fatal(err)
		}
	}
	db = reopen(t, db)
	n, oldest, err = db.OutboxStats()
	if err != nil || n != 3 || !oldest.Equal(testT0.Add(2*time.Minute)) {
		t.Fatalf("after ack and reopen OutboxStats = %d, %v, %v; want 3, %v", n, oldest, err, testT0.Add(2*time.Minute))
	}
	got, _ := db.PendingReports(0)
	if g := reportIDs(got); fmt.Sprint(g) != "[r3 r2 r4]" {
		t.Fatalf("after ack pending = %v", g)
	}
	if err := db.AckReports(ids); err != nil {
		t.Fatal(err)
	}
	if n, oldest, _ := db.OutboxStats(); n != 0 || !oldest.IsZero() {
		t.Fatalf("empty outbox stats = %d, %v", n, oldest)
	}
}

func reportIDs(rs []Report) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestRecordBatchConcurrent(t *testing.T) {
	db := openTest(t)
	const workers, each = 8, 25
	var wg gosync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var r *Report
				if i%5 == 0 {
					r = testReport(verify.ReportFever)
				}
				if _, err := db.RecordBatch(testEntry(testT0.Add(time.Duration(w*each+i)*time.Second)), r); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	entries, _ := db.Entries(testT0, testT0.Add(time.Hour))
	n, _, _ := db.OutboxStats()
	if len(entries) != workers*each || n != workers*each/5 {
		t.Fatalf("entries %d, outbox %d; want %d, %d", len(entries), n, workers*each, workers*each/5)
	}
}

func TestDailySummaries(t *testing.T) {
	db := openTest(t)
	cst := time.FixedZone("CST", 8*3600)
	day := time.Date(2020, 3, 2, 0, 0, 0, 0, cst)
	rec := func(at time.Time, mod func(*Entry), r *Report) {
		e := testEntry(at)
		if mod != nil {
			mod(&e)
		}
		if _, err := db.Record(e, r); err != nil {
			t.Fatal(err)
		}
	}
	rec(day.Add(9*time.Hour), nil, nil)
	rec(day.Add(10*time.Hour), func(e *Entry) { e.Verdict, e.TemperatureC = verify.VerdictDeny, 38.2 }, testReport(verify.ReportFever))
	rec(day.Add(23*time.Hour), func(e *Entry) { e.Verdict, e.Color = verify.VerdictDeny, verify.Red }, testReport(verify.ReportRedSighting))
	rec(day.Add(25*time.Hour), func(e *Entry) { e.Color, e.Valid, e.Reason, e.TemperatureC = "", false, verify.ReasonBadSignature, 0 }, nil)

	got, err := db.DailySummaries(day, day.AddDate(0, 0, 2), cst)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d summaries, want 2", len(got))
	}
	d0, d1 := got[0], got[1]
	checks := []struct {
		name      string
		got, want int
	}{
		{"day 1 total", d0.Total, 3},
		{"day 1 pass", d0.ByVerdict[verify.VerdictPass], 1},
		{"day 1 deny", d0.ByVerdict[verify.VerdictDeny], 2},
		{"day 1 green", d0.ByColor[verify.Green], 2},
		{"day 1 red", d0.ByColor[verify.Red], 1},
		{"day 1 fever", d0.Fever, 1},
		{"day 1 red sightings", d0.RedSightings, 1},
		{"day 1 measured", d0.Measured, 3},
		{"day 2 total", d1.Total, 1},
		{"day 2 bad signature", d1.ByReason[verify.ReasonBadSignature], 1},
		{"day 2 measured", d1.Measured, 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestDevice(t *testing.T) {
	db := openTest(t)
	if _, _, err := db.Device(); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("Device before enrollment: %v, want ErrNotEnrolled", err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	if err := db.SetDevice("", key); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("SetDevice without id: %v", err)
	}
	if err := db.SetDevice("term-1", key); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db)
	id, got, err := db.Device()
	if err != nil || id != "term-1" || !got.Equal(key) {
		t.Fatalf("Device = %q, %v; want term-1 and the key", id, err)
	}
}

func TestFileIsPrivate(t *testing.T) {
	db := openTest(t)
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600 (the file holds the device key)", fi.Mode().Perm())
	}
}

func TestOpenLockedAndClosed(t *testing.T) {
	db := openTest(t)
	if _, err := Open(db.Path(), WithOpenTimeout(50*time.Millisecond)); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Record(testEntry(testT0), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Record after Close: %v, want ErrClosed", err)
	}
	if _, _, err := db.RevokedBefore(verify.PersonHash{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("RevokedBefore after Close: %v, want ErrClosed", err)
	}
}
