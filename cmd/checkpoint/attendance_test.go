package main

import (
	"strings"
	"testing"
	"time"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/ui"
	"yanma/store"
	"yanma/verify"
)

type fakeEntries []store.Entry

func (f fakeEntries) ForEachEntry(from, to time.Time, fn func(store.Entry) error) error {
	for _, e := range f {
		if !e.Time.Before(from) && e.Time.Before(to) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestAttendanceNote(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	p := verify.HashPerson("450000", "emp-1")
	who := verify.Result{Valid: true, Sub: "emp-1", Person: p}
	ent := assets.Profile{OncePerDay: true, LateAfter: "09:00"}
	day := func(h, m int) time.Time { return time.Date(2020, 2, 10, h, m, 0, 0, loc) }
	earlier := store.Entry{Time: day(8, 41), Valid: true, Person: p.String()}
	yesterday := store.Entry{Time: day(8, 41).Add(-24 * time.Hour), Valid: true, Person: p.String()}
	refused := store.Entry{Time: day(8, 41), Valid: false, Person: p.String()}

	tests := []struct {
		name    string
		profile assets.Profile
		entries fakeEntries
		at      time.Time
		r       verify.Result
		want    string
	}{
		{"first arrival on time", ent, nil, day(8, 55), who, ""},
		{"first arrival late", ent, fakeEntries{yesterday}, day(9, 7), who, "late: first arrival today, after 09:00"},
		{"second arrival", ent, fakeEntries{earlier}, day(12, 30), who, "already checked in today at 08:41"},
		{"a refused scan earlier does not count", ent, fakeEntries{refused}, day(8, 50), who, ""},
		{"not an attendance site", assets.Profile{}, fakeEntries{earlier}, day(12, 30), who, ""},
		{"invalid code", ent, fakeEntries{earlier}, day(12, 30), verify.Result{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &attendance{entries: tc.entries, profile: tc.profile, lang: "en"}
			if got := a.note(tc.r, tc.at); got != tc.want {
				t.Fatalf("note = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestEnterpriseGate: the second scan of an employee on one day says so.
func TestEnterpriseGate(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "emp-2", verify.Green)
	out := term.mustRun(green+"\n36.5\n"+green+"\n36.6\n", "run", "--offline", "--ui", "json", "--source", "stdin", "--site", "enterprise")
	evs := decided(t, out)
	if len(evs) != 2 {
		t.Fatalf("two scans, %d verdicts", len(evs))
	}
	if !strings.HasPrefix(evs[1].Message, "already checked in today at ") || evs[1].Kind != ui.KindDecided {
		t.Fatalf("second scan note = %q", evs[1].Message)
	}
	if strings.HasPrefix(evs[0].Message, "already") {
		t.Fatalf("first scan note = %q", evs[0].Message)
	}
}
