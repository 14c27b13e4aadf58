// Package export writes a checkpoint's records for a supervisor: a CSV that
// Excel opens with the Chinese intact, an XLSX with the records, a daily
// summary and, for enterprise gates, the day's attendance with late
// arrivals; and the filters of `checkpoint export` (--from --to --color
// --site).
//
// Only what the store holds goes out: masked names and IDs, never more.
package export

import (
	"slices"
	"time"

	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/store"
	"yanma/verify"
)

// Options say how records are written.
type Options struct {
	// Lang of headers and words: "zh" (default) or "en".
	Lang string
	// Location of the times and of the day boundaries (default time.Local,
	// the kiosk's zone).
	Location *time.Location
	// LateAfter is the enterprise site's start of work, "09:00": the
	// attendance sheet marks a first arrival after it as late. Empty: no
	// lateness is judged.
	LateAfter string
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

// Filter selects entries; a zero field selects everything.
type Filter struct {
	From   time.Time      // From <= Time
	To     time.Time      // Time < To
	Colors []verify.Color // any of these colours
	Sites  []verify.Site  // any of these sites
}

// Apply returns the entries f selects, in their order.
func Apply(entries []store.Entry, f Filter) []store.Entry {
	var out []store.Entry
	for _, e := range entries {
		if !f.From.IsZero() && e.Time.Before(f.From) {
			continue
		}
		if !f.To.IsZero() && !e.Time.Before(f.To) {
			continue
		}
		if len(f.Colors) > 0 && !slices.Contains(f.Colors, e.Color) {
			continue
		}
		if len(f.Sites) > 0 && !slices.Contains(f.Sites, e.Site) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Outcome classifies a recorded entry as the screen did.
func Outcome(e store.Entry) i18n.Outcome {
	return i18n.Classify(e.Valid, e.Reason, e.Color, e.Verdict, e.Report)
}

// Day is one day's tally.
type Day struct {
	Date    string `json:"date"` // 2006-01-02 in Options.Location
	Total   int    `json:"total"`
	Passed  int    `json:"passed"`
	Yellow  int    `json:"yellow"`
	Red     int    `json:"red"`
	Gray    int    `json:"gray"`
	Fevers  int    `json:"fevers"`
	Invalid int    `json:"invalid"` // not authentic, revoked, unreadable, or not judged (stale data)
}

// Denied is everyone turned away for the colour of their code.
func (d Day) Denied() int { return d.Yellow + d.Red + d.Gray }

// Summarize tallies entries per day, oldest day first.
func Summarize(entries []store.Entry, loc *time.Location) []Day {
	if loc == nil {
		loc = time.Local
	}
	byDate := map[string]*Day{}
	var order []string
	for _, e := range entries {
		date := e.Time.In(loc).Format("2006-01-02")
		d, ok := byDate[date]
		if !ok {
			d = &Day{Date: date}
			byDate[date] = d
			order = append(order, date)
		}
		d.Total++
		switch Outcome(e) {
		case i18n.Pass:
			d.Passed++
		case i18n.Fever:
			d.Fevers++
		case i18n.Yellow:
			d.Yellow++
		case i18n.Red:
			d.Red++
		case i18n.Gray:
			d.Gray++
		default:
			d.Invalid++
		}
	}
	slices.Sort(order)
	out := make([]Day, 0, len(order))
	for _, date := range order {
		out = append(out, *byDate[date])
	}
	return out
}

// Arrival is one person's first entry of a day at an enterprise gate.
type Arrival struct {
	Date  string
	Entry store.Entry
	Late  bool
}

// Attendance lists, per day, each person's first entry with a valid code at
// an enterprise gate (each employee counts once a day), oldest first, and
// marks those after lateAfter ("09:00"; empty: none is late).
func Attendance(entries []store.Entry, loc *time.Location, lateAfter string) []Arrival {
	if loc == nil {
		loc = time.Local
	}
	var late *time.Time
	if at, err := time.Parse("15:04", lateAfter); err == nil {
		late = &at
	}
	seen := map[string]bool{}
	var out []Arrival
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b store.Entry) int { return a.Time.Compare(b.Time) })
	for _, e := range sorted {
		if e.Site != verify.SiteEnterprise || !e.Valid || e.Person == "" {
			continue
		}
		t := e.Time.In(loc)
		date := t.Format("2006-01-02")
		if seen[date+e.Person] {
			continue
		}
		seen[date+e.Person] = true
		a := Arrival{Date: date, Entry: e}
		if late != nil {
			a.Late = t.Hour()*60+t.Minute() > late.Hour()*60+late.Minute()
		}
		out = append(out, a)
	}
	return out
}
