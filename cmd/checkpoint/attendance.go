package main

import (
	"errors"
	"fmt"
	"time"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/store"
	"yanma/verify"
)

// entryScanner is the part of the store attendance reads.
type entryScanner interface {
	ForEachEntry(from, to time.Time, fn func(store.Entry) error) error
}

// attendance tells the officer at an enterprise gate, where each employee
// counts once a day, whether this is the person's first arrival today and
// whether it is late. The roster export lists the same.
type attendance struct {
	entries entryScanner
	profile assets.Profile
	lang    string
}

var errFound = errors.New("found")

// note is the line for the officer, or "" when there is nothing to say.
func (a *attendance) note(r verify.Result, at time.Time) string {
	if a == nil || !a.profile.OncePerDay || !r.Valid || r.Sub == "" {
		return ""
	}
	person := r.Person.String()
	y, m, d := at.Date()
	var first store.Entry
	err := a.entries.ForEachEntry(time.Date(y, m, d, 0, 0, 0, 0, at.Location()), at, func(e store.Entry) error {
		if e.Valid && e.Person == person {
			first = e
			return errFound
		}
		return nil
	})
	en := i18n.English(a.lang)
	switch {
	case errors.Is(err, errFound):
		hm := first.Time.In(at.Location()).Format("15:04")
		if en {
			return fmt.Sprintf("already checked in today at %s", hm)
		}
		return fmt.Sprintf("今日已于 %s 签到", hm)
	case err != nil:
		return "" // attendance is a courtesy; the verdict stands without it
	case a.profile.Late(at):
		if en {
			return fmt.Sprintf("late: first arrival today, after %s", a.profile.LateAfter)
		}
		return fmt.Sprintf("迟到：今日首次签到，晚于 %s", a.profile.LateAfter)
	}
	return ""
}
