package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// The outbox keeps one bucket per kind, in delivery priority, keyed by a
// big-endian sequence number (bbolt's NextSequence, shared by all kinds),
// so that a cursor walk yields red sightings first, then fever reports,
// oldest first. Bucket outbox.ids maps a report ID to its tag byte and
// sequence key, for AckReports.
type outboxKind struct {
	kind   verify.ReportKind
	bucket []byte
	tag    byte
}

// outboxKinds is fixed and never written: the delivery order.
var outboxKinds = [...]outboxKind{
	{verify.ReportRedSighting, []byte("outbox.red"), 0},
	{verify.ReportFever, []byte("outbox.fever"), 1},
	{"", []byte("outbox.other"), 2}, // kinds a later version may add
}

func kindOf(k verify.ReportKind) outboxKind {
	for _, o := range outboxKinds[:len(outboxKinds)-1] {
		if o.kind == k {
			return o
		}
	}
	return outboxKinds[len(outboxKinds)-1]
}

// PendingReports returns up to max reports not yet acknowledged (max <= 0:
// all), red sightings before fever reports, oldest first within each kind.
func (db *DB) PendingReports(max int) ([]Report, error) {
	var out []Report
	err := db.view(func(tx *bolt.Tx) error {
		for _, k := range outboxKinds {
			c := tx.Bucket(k.bucket).Cursor()
			for key, v := c.First(); key != nil; key, v = c.Next() {
				if max > 0 && len(out) >= max {
					return nil
				}
				var r Report
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("report %x: %w: %w", key, ErrCorrupt, err)
				}
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending reports: %w", err)
	}
	return out, nil
}

// AckReports removes acknowledged reports from the outbox, in one
// transaction. IDs not in the outbox (acknowledged before) are ignored.
func (db *DB) AckReports(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	db.wmu.RLock()
	defer db.wmu.RUnlock()
	removed := 0
	err := db.update(func(tx *bolt.Tx) error {
		removed = 0
		idx := tx.Bucket(bucketOutboxIDs)
		for _, id := range ids {
			loc := idx.Get([]byte(id))
			if loc == nil {
				continue
			}
			if len(loc) != 9 || int(loc[0]) >= len(outboxKinds) {
				return fmt.Errorf("outbox index of %s: %w", id, ErrCorrupt)
			}
			if err := tx.Bucket(outboxKinds[loc[0]].bucket).Delete(loc[1:]); err != nil {
				return err
			}
			if err := idx.Delete([]byte(id)); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	if err != nil {
		return wrapWrite("ack reports", err)
	}
	db.outboxN.Add(int64(-removed))
	return nil
}

// OutboxStats says how many reports wait and when the oldest was made
// (the count from memory; the oldest from the first report of each kind).
func (db *DB) OutboxStats() (n int, oldest time.Time, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		for _, k := range outboxKinds {
			_, v := tx.Bucket(k.bucket).Cursor().First()
			if v == nil {
				continue
			}
			var r Report
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("report: %w: %w", ErrCorrupt, err)
			}
			if oldest.IsZero() || r.Time.Before(oldest) {
				oldest = r.Time
			}
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox stats: %w", err)
	}
	return int(db.outboxN.Load()), oldest, nil
}
