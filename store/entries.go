package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// Entry is one person at the checkpoint: what the officer saw and decided.
// It holds masked name and ID only.
type Entry struct {
	ID           string            `json:"id"`
	Time         time.Time         `json:"time"`
	Site         verify.Site       `json:"site"`
	Direction    string            `json:"direction,omitempty"` // "in" or "out" at gates that record both (community)
	Issuer       string            `json:"iss,omitempty"`
	JTI          string            `json:"jti,omitempty"`
	Person       string            `json:"person,omitempty"` // PersonHash hex
	Name         string            `json:"name,omitempty"`
	IDMasked     string            `json:"id_masked,omitempty"`
	Color        verify.Color      `json:"color,omitempty"`
	Valid        bool              `json:"valid"`
	Reason       verify.Reason     `json:"reason"`
	TemperatureC float64           `json:"temperature_c,omitempty"` // 0: not measured
	ThresholdC   float64           `json:"threshold_c,omitempty"`
	Verdict      verify.Verdict    `json:"verdict"`
	Report       verify.ReportKind `json:"report,omitempty"`
}

// Report is one event for the upstream. ID is made on the terminal and is
// how the upstream applies it once.
type Report struct {
	ID           string            `json:"id"`
	Kind         verify.ReportKind `json:"kind"`
	Time         time.Time         `json:"time"`
	Site         verify.Site       `json:"site"`
	Issuer       string            `json:"iss"`
	Sub          string            `json:"sub"`
	JTI          string            `json:"jti"`
	Color        verify.Color      `json:"color"`
	TemperatureC float64           `json:"temperature_c,omitempty"`
}

// Entries are keyed by timeKey(Time) ‖ ID, so a time range is one cursor
// walk and Purge deletes from the front.

func entryKey(e *Entry) []byte {
	return append(timeKey(e.Time), e.ID...)
}

// Record stores an entry and, if r is not nil, its report in the outbox, in
// one durable (fsynced) transaction: when it returns nil both are on disk,
// and after a crash either both are there or neither. Empty IDs are filled
// in (ULIDs: time-ordered, unique), an empty Time with the store's clock, a
// report's empty Time and Site with the entry's. It returns the entry as
// stored. A full disk gives an error wrapping ErrDiskFull.
func (db *DB) Record(e Entry, r *Report) (Entry, error) {
	return db.record(e, r, db.update)
}

// RecordBatch is Record through bbolt's Batch: concurrent callers (several
// lanes of one terminal) share one commit and one fsync. It still returns
// only once the entry is durable, but a lone caller waits up to bbolt's
// MaxBatchDelay (10 ms) for company.
func (db *DB) RecordBatch(e Entry, r *Report) (Entry, error) {
	return db.record(e, r, db.batch)
}

func (db *DB) record(e Entry, r *Report, commit func(func(*bolt.Tx) error) error) (Entry, error) {
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	if e.ID == "" {
		id, err := db.newID(e.Time)
		if err != nil {
			return Entry{}, fmt.Errorf("record: %w", err)
		}
		e.ID = id
	}
	var rep Report
	if r != nil {
		rep = *r
		if rep.Kind == verify.ReportNone {
			return Entry{}, fmt.Errorf("record: report without a kind: %w", ErrInvalidRecord)
		}
		if rep.Time.IsZero() {
			rep.Time = e.Time
		}
		if rep.Site == "" {
			rep.Site = e.Site
		}
		if rep.ID == "" {
			id, err := db.newID(rep.Time)
			if err != nil {
				return Entry{}, fmt.Errorf("record: %w", err)
			}
			rep.ID = id
		}
		if e.Report == verify.ReportNone {
			e.Report = rep.Kind
		}
	}
	ev, err := json.Marshal(e)
	if err != nil {
		return Entry{}, fmt.Errorf("record: %w", err)
	}
	var rv []byte
	if r != nil {
		if rv, err = json.Marshal(rep); err != nil {
			return Entry{}, fmt.Errorf("record: %w", err)
		}
	}
	ek := entryKey(&e)

	db.wmu.RLock()
	defer db.wmu.RUnlock()
	// Under Batch this may run more than once (after a failed shared
	// commit, alone); every run starts from a rolled-back state, so it is
	// idempotent.
	err = commit(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEntries)
		if eb.Get(ek) != nil {
			return fmt.Errorf("entry %s exists: %w", e.ID, ErrInvalidRecord)
		}
		if err := eb.Put(ek, ev); err != nil {
			return err
		}
		if r == nil {
			return nil
		}
		return putReport(tx, &rep, rv)
	})
	if err != nil {
		return Entry{}, wrapWrite("record", err)
	}
	if r != nil {
		db.outboxN.Add(1)
	}
	return e, nil
}

// ForEachEntry calls fn for each entry with from <= Time < to, oldest
// first. It reads in chunks, each in its own read transaction, so that a
// long export never holds the file (a writer may need to grow it); an
// entry recorded meanwhile may or may not be seen.
func (db *DB) ForEachEntry(from, to time.Time, fn func(Entry) error) error {
	const chunk = 1024
	start, end := timeKey(from), timeKey(to)
	for {
		var batch []Entry
		var next []byte
		err := db.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketEntries).Cursor()
			for k, v := c.Seek(start); k != nil && bytes.Compare(k[:8], end) < 0; k, v = c.Next() {
				if len(batch) == chunk {
					next = bytes.Clone(k)
					return nil
				}
				var e Entry
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("entry %x: %w: %w", k, ErrCorrupt, err)
				}
				batch = append(batch, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("entries: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

// Entries returns the entries with from <= Time < to, oldest first.
func (db *DB) Entries(from, to time.Time) ([]Entry, error) {
	var out []Entry
	err := db.ForEachEntry(from, to, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Purge deletes entries older than before; it returns how many. It works
// in chunks of its own transactions, so a large purge never stalls Record
// for long; an error leaves the chunks already done deleted.
func (db *DB) Purge(before time.Time) (int, error) {
	const chunk = 10000
	end := timeKey(before)
	total := 0
	for {
		n := 0
		db.wmu.RLock()
		err := db.update(func(tx *bolt.Tx) error {
			n = 0
			eb := tx.Bucket(bucketEntries)
			var keys [][]byte
			c := eb.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0 && len(keys) < chunk; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				if err := eb.Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		db.wmu.RUnlock()
		if err != nil {
			return total, wrapWrite("purge", err)
		}
		total += n
		if n < chunk {
			return total, nil
		}
	}
}

// Summary counts the entries of a period, for the daily export.
type Summary struct {
	From, To     time.Time
	Total        int
	ByVerdict    map[verify.Verdict]int
	ByColor      map[verify.Color]int // entries whose code could be read
	ByReason     map[verify.Reason]int
	Measured     int // entries with a temperature
	Fever        int // entries reported as fever
	RedSightings int // entries reported as red sightings
}

func newSummary(from, to time.Time) Summary {
	return Summary{
		From: from, To: to,
		ByVerdict: map[verify.Verdict]int{},
		ByColor:   map[verify.Color]int{},
		ByReason:  map[verify.Reason]int{},
	}
}

func (s *Summary) add(e *Entry) {
	s.Total++
	s.ByVerdict[e.Verdict]++
	if e.Color != "" {
		s.ByColor[e.Color]++
	}
	s.ByReason[e.Reason]++
	if e.TemperatureC != 0 {
		s.Measured++
	}
	switch e.Report {
	case verify.ReportFever:
		s.Fever++
	case verify.ReportRedSighting:
		s.RedSightings++
	}
}

// DailySummaries counts the entries of each calendar day (in loc) that
// overlaps [from, to), oldest first, one Summary per day, days without
// entries included.
func (db *DB) DailySummaries(from, to time.Time, loc *time.Location) ([]Summary, error) {
	if loc == nil {
		loc = time.UTC
	}
	var out []Summary
	f := from.In(loc)
	for day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		out = append(out, newSummary(day, day.AddDate(0, 0, 1)))
	}
	err := db.ForEachEntry(from, to, func(e Entry) error {
		for i := range out {
			if !e.Time.Before(out[i].From) && e.Time.Before(out[i].To) {
				out[i].add(&e)
				break
			}
		}
		return nil
	})
	return out, err
}

// putReport files rep (marshalled as rv) in its kind's outbox bucket under
// the next sequence number and indexes its ID.
func putReport(tx *bolt.Tx, rep *Report, rv []byte) error {
	ids := tx.Bucket(bucketOutboxIDs)
	if ids.Get([]byte(rep.ID)) != nil {
		return fmt.Errorf("report %s exists: %w", rep.ID, ErrInvalidRecord)
	}
	seq, err := ids.NextSequence()
	if err != nil {
		return err
	}
	k := kindOf(rep.Kind)
	loc := make([]byte, 9)
	loc[0] = k.tag
	binary.BigEndian.PutUint64(loc[1:], seq)
	if err := tx.Bucket(k.bucket).Put(loc[1:], rv); err != nil {
		return err
	}
	return ids.Put([]byte(rep.ID), loc)
}
