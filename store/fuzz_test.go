package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// FuzzRevocationState drives the revocation store through a sequence of
// full snapshots, deltas (with layers from two entries on, so that they
// stack) and compactions, and after each step compares every lookup with a
// plain map applying the same feeds in order. Feeds go in below the JWS
// layer (verify fuzzes that): this is about the store's own state machine.
func FuzzRevocationState(f *testing.F) {
	f.Add([]byte{0, 3, 1, 4, 2, 9, 3, 0})
	f.Add([]byte{1, 255, 1, 254, 1, 253, 1, 252, 1, 251, 1, 250, 1, 249, 3, 0, 1, 7})
	f.Add([]byte{0, 0, 1, 1, 3, 3, 0, 200, 2, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 40 {
			ops = ops[:40]
		}
		db := openTest(t, WithUnsafeNoSync()) // durability is not the question here
		db.layerMin = 2
		persons := map[int]int64{}
		jtis := map[int]bool{}
		var seq uint64
		check := func(i int) {
			t.Helper()
			for n := range 12 {
				p, _ := person(fmt.Sprintf("p%d", n), 0)
				got, found, err := db.RevokedBefore(p)
				want, ok := persons[n]
				if err != nil || found != ok || got != want {
					t.Fatalf("step %d: person %d: %d, %v, %v; want %d, %v", i, n, got, found, err, want, ok)
				}
			}
			for n := range 6 {
				got, err := db.RevokedJTI(fmt.Sprintf("j%d", n))
				if err != nil || got != jtis[n] {
					t.Fatalf("step %d: jti %d: %v, %v; want %v", i, n, got, err, jtis[n])
				}
			}
		}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, ops[i+1]
			rng := rand.New(rand.NewPCG(uint64(arg), uint64(i)))
			if op == 3 {
				if _, _, err := db.Compact(context.Background()); err != nil {
					t.Fatalf("step %d: compact: %v", i, err)
				}
				check(i)
				continue
			}
			full := op == 0
			var entries []verify.RevocationEntry
			for range int(arg % 7) {
				if rng.IntN(4) == 0 {
					entries = append(entries, verify.RevocationEntry{JTI: fmt.Sprintf("j%d", rng.IntN(6))})
					continue
				}
				_, e := person(fmt.Sprintf("p%d", rng.IntN(12)), int64(1+rng.IntN(1000)))
				entries = append(entries, e)
			}
			if full {
				clear(persons)
				clear(jtis)
			}
			for _, e := range entries {
				if e.JTI != "" {
					var n int
					fmt.Sscanf(e.JTI, "j%d", &n)
					jtis[n] = true
					continue
				}
				for n := range 12 {
					if p, _ := person(fmt.Sprintf("p%d", n), 0); p.String() == e.SH {
						persons[n] = e.Before
					}
				}
			}
			rb, err := prepareEntries(entries)
			if err != nil {
				t.Fatal(err)
			}
			feed := &verify.RevocationFeed{From: seq, To: seq + 1, Full: full, Count: uint64(len(rb.persons) + len(rb.jtis))}
			err = db.updateState(func(tx *bolt.Tx, st *state) error {
				if full {
					return applyFull(tx, st, feed, rb, testT0)
				}
				return applyDelta(tx, st, feed, rb, testT0, db.layerMin)
			}, nil)
			if err != nil {
				t.Fatalf("step %d: apply: %v", i, err)
			}
			seq++
			check(i)
		}
	})
}
