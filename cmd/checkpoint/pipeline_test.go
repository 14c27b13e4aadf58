package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/store"
	"yanma/verify"
)

// failingDisk is a recorder whose first writes fail as a full disk does.
type failingDisk struct {
	fails int
	got   []store.Entry
}

func (f *failingDisk) Record(e store.Entry, r *store.Report) (store.Entry, error) {
	if f.fails > 0 {
		f.fails--
		return store.Entry{}, errors.Join(store.ErrDiskFull, syscall.ENOSPC)
	}
	e.ID = "id-" + string(rune('a'+len(f.got)))
	f.got = append(f.got, e)
	return e, nil
}

type noTrust struct{}

func (noTrust) Trust() (*verify.TrustList, error) { return nil, verify.ErrNoTrustList }

// TestNoVerdictWithoutRecord: when the store cannot write (a full disk), the
// officer sees an error instead of a verdict, the loop goes on, and the next
// person, once the disk has room, gets a recorded verdict.
func TestNoVerdictWithoutRecord(t *testing.T) {
	disk := &failingDisk{fails: 1}
	disp := &recordDisplay{}
	term := &terminal{
		verifier: verify.New(noTrust{}, nil, nil),
		rec:      disk,
		site:     verify.SiteTransit,
		display:  disp,
		temps:    &scripted{},
		now:      time.Now,
		log:      slog.New(slog.DiscardHandler),
	}
	ctx := context.Background()
	src := lineScans{newLineInput(ctx, strings.NewReader("first\nsecond\n"), slog.New(slog.DiscardHandler))}
	if err := term.serve(ctx, src); err != nil {
		t.Fatalf("serve: %v", err)
	}
	var kinds []string
	for _, ev := range disp.evs {
		kinds = append(kinds, string(ev.Kind))
		if ev.Kind == ui.KindError && !strings.Contains(ev.Message, "not recorded") {
			t.Errorf("error message %q does not say the entry was not recorded", ev.Message)
		}
	}
	want := "verified,error,verified,decided"
	if strings.Join(kinds, ",") != want {
		t.Fatalf("events %v, want %s", kinds, want)
	}
	if len(disk.got) != 1 || disp.evs[3].EntryID != disk.got[0].ID {
		t.Fatalf("recorded %+v; the verdict shown must be the one recorded", disk.got)
	}
}
