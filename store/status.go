package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// SyncStatus implements verify.StatusSource (from memory; no disk read).
// TrustAsOf and RevocationsAsOf move only when a whole verified artefact was
// applied (or confirmed current), never when a sync starts or fails.
func (db *DB) SyncStatus() verify.SyncStatus {
	st := db.status()
	s := verify.SyncStatus{
		TrustAsOf:       st.TrustAsOf,
		RevocationsAsOf: st.RevAsOf,
		ClockOffset:     st.ClockOffset,
		ClockMeasured:   st.ClockMeasured,
	}
	if newest := max(st.TrustIat, st.RevIat); newest > 0 {
		s.NewestSigned = time.Unix(newest, 0).UTC()
	}
	return s
}

// SetClockOffset records the upstream's clock minus ours, measured at measured.
func (db *DB) SetClockOffset(offset time.Duration, measured time.Time) error {
	err := db.updateState(func(_ *bolt.Tx, st *state) error {
		st.ClockOffset, st.ClockMeasured = offset, measured.UTC()
		return nil
	}, nil)
	return wrapWrite("set clock offset", err)
}

// ConfirmRevocationsCurrent records that the upstream confirmed (e.g. 304,
// or an empty delta) that the revocation state held is current at now. It
// refuses when no revocation data was ever applied.
func (db *DB) ConfirmRevocationsCurrent(now time.Time) error {
	err := db.updateState(func(tx *bolt.Tx, st *state) error {
		if currentGen(tx) == nil {
			return ErrNoRevocations
		}
		if now.After(st.RevAsOf) {
			st.RevAsOf = now.UTC()
		}
		return nil
	}, nil)
	return wrapWrite("confirm revocations", err)
}
