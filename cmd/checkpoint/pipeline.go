package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/store"
	"yanma/verify"
)

// scanSource yields one QR text per presentation. Done says the verdict was
// shown, so the same code shown again is a new person.
type scanSource interface {
	Next(ctx context.Context) (string, error)
	Done()
}

// thermometer yields one temperature reading as text: typed on a keypad,
// sent by a serial thermometer, or scripted.
type thermometer interface {
	Temperature(ctx context.Context) (string, error)
}

// recorder is the part of the store the scan loop writes to.
type recorder interface {
	Record(e store.Entry, r *store.Report) (store.Entry, error)
}

// terminal is the checkpoint's scan loop: one person at a time, from the
// code read to the verdict recorded and shown.
type terminal struct {
	verifier *verify.Verifier
	rec      recorder
	site     verify.Site
	// direction is "in" or "out" at gates that record both ways.
	direction string
	// attendance notes first arrivals and lateness where the site's profile
	// counts each person once a day (enterprise).
	attendance *attendance
	display    ui.Display
	temps      thermometer
	// recorded is told of every entry recorded, and whether it queued a
	// report, so the sync loop can push at once and the status line update.
	recorded func(reported bool)
	now      func() time.Time
	log      *slog.Logger
}

var (
	// errNoTemperature ends a scripted run that has run out of readings.
	errNoTemperature = errors.New("no temperature reading")
	// errNotRecorded: the store refused an entry; no verdict was shown.
	errNotRecorded = errors.New("entry not recorded")
)

// serve runs the loop until the source ends (nil) or ctx is done.
func (t *terminal) serve(ctx context.Context, src scanSource) error {
	for {
		text, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("scan: %w", err)
		}
		if _, err := t.handle(ctx, text); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !errors.Is(err, errNotRecorded) {
				return err
			}
			// The officer saw "not recorded" instead of a verdict; the
			// next person may find the disk writable again.
			t.log.Error("entry not recorded", "err", err)
		}
		src.Done()
	}
}

// handle takes one person from QR text to a recorded, shown verdict. The
// verdict is shown only after it is durably recorded; when recording fails
// the officer sees that instead of a verdict, because a terminal that cannot
// record must not wave people through.
func (t *terminal) handle(ctx context.Context, text string) (store.Entry, error) {
	res := t.verifier.Verify(text)
	dec := verify.Decide(res, t.site, nil)
	t.display.Show(ui.Event{Kind: ui.KindVerified, Time: t.now(), Result: res, Decision: dec})
	for dec.NeedTemperature {
		raw, err := t.temps.Temperature(ctx)
		if err != nil {
			return store.Entry{}, fmt.Errorf("temperature: %w", err)
		}
		c, err := verify.ParseTemperature(raw)
		if err != nil {
			t.display.Show(ui.Event{Kind: ui.KindTemperatureRejected, Time: t.now(), Result: res, Decision: dec, Input: raw, Message: err.Error()})
			continue
		}
		dec = verify.Decide(res, t.site, &c)
	}

	at := t.now()
	note := t.attendance.note(res, at) // before this entry is recorded
	entry := store.Entry{
		Time:         at,
		Site:         t.site,
		Direction:    t.direction,
		Issuer:       res.Issuer,
		JTI:          res.JTI,
		Name:         res.Name,
		IDMasked:     res.IDMasked,
		Color:        res.Color,
		Valid:        res.Valid,
		Reason:       res.Reason,
		TemperatureC: dec.TemperatureC,
		ThresholdC:   dec.ThresholdC,
		Verdict:      dec.Verdict,
		Report:       dec.Report,
	}
	if res.Issuer != "" && res.Sub != "" {
		entry.Person = res.Person.String()
	}
	var rep *store.Report
	if dec.Report != verify.ReportNone {
		rep = &store.Report{
			Kind:         dec.Report,
			Time:         at,
			Site:         t.site,
			Issuer:       res.Issuer,
			Sub:          res.Sub,
			JTI:          res.JTI,
			Color:        res.Color,
			TemperatureC: dec.TemperatureC,
		}
	}
	stored, err := t.rec.Record(entry, rep)
	if err != nil {
		t.display.Show(ui.Event{Kind: ui.KindError, Time: t.now(), Message: "entry not recorded: " + err.Error()})
		return store.Entry{}, fmt.Errorf("%w: %w", errNotRecorded, err)
	}
	t.log.Debug("entry recorded", "id", stored.ID, "verdict", dec.Verdict, "reason", res.Reason, "report", dec.Report)
	if t.recorded != nil {
		t.recorded(rep != nil)
	}
	t.display.Show(ui.Event{Kind: ui.KindDecided, Time: t.now(), Result: res, Decision: dec, EntryID: stored.ID, PendingReport: rep != nil, Message: note})
	return stored, nil
}
