package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/sync/wire"
	"yanma/verify"
)

// Outcomes of applying a report, kept with it.
const (
	OutcomeTurnedYellow  = "turned_yellow"  // fever of a green person: now yellow, earlier codes revoked
	OutcomeRecorded      = "recorded"       // kept; the person's colour did not change
	OutcomeSighting      = "sighting"       // red sighting recorded for epidemic-prevention staff
	OutcomeUnknownPerson = "unknown_person" // kept; not a person of this platform
	OutcomeUnknownKind   = "unknown_kind"   // kept for a human; not applied
)

// storedReport is one report as received, kept by its id.
type storedReport struct {
	Report   wire.Report `json:"report"`
	Device   string      `json:"device"`
	Received time.Time   `json:"received"`
	Outcome  string      `json:"outcome"`
}

// ApplyReports records a batch of reports from device and applies each
// report id once: an id already held is acknowledged again without effect.
// Red sightings are applied first. It returns the acknowledgement; every
// report with an id is acknowledged once it is durably recorded.
func (s *Server) ApplyReports(ctx context.Context, device string, reports []wire.Report) (wire.ReportAck, error) {
	return s.applyReports(ctx, deviceAuth{device: device}, reports)
}

// applyReports applies a batch; a's token jti (if any) is recorded in the
// same transaction.
func (s *Server) applyReports(ctx context.Context, a deviceAuth, reports []wire.Report) (wire.ReportAck, error) {
	device := a.device
	if err := ctx.Err(); err != nil {
		return wire.ReportAck{}, err
	}
	ack := wire.ReportAck{Acked: make([]string, 0, len(reports))}
	order := make([]int, 0, len(reports))
	for i, r := range reports {
		switch {
		case r.ID == "" || len(r.ID) > 128:
			ack.Rejected = append(ack.Rejected, wire.Rejected{Index: i, ID: r.ID, Error: "report needs an id of 1 to 128 bytes"})
		case r.Kind == verify.ReportRedSighting:
			order = append(order, i)
		}
	}
	for i, r := range reports {
		if r.ID != "" && len(r.ID) <= 128 && r.Kind != verify.ReportRedSighting {
			order = append(order, i)
		}
	}
	now := s.now()
	applied := map[string]int{}
	// Through bbolt's Batch: the batches of terminals pushing at the same
	// moment share one commit (one fsync). fn may run again, alone, if
	// another in its commit failed: it starts from a clean slate.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		ack.Acked = ack.Acked[:0]
		clear(applied)
		if a.jti != "" {
			if err := rememberJTI(tx, a.jti, a.now); err != nil {
				return err
			}
		}
		rb := tx.Bucket(bucketReports)
		// Report ids are ULIDs made on the terminals: they arrive in
		// about time order, so pages can be packed (bbolt splits at 50%).
		rb.FillPercent = 0.95
		for _, i := range order {
			r := reports[i]
			if rb.Get([]byte(r.ID)) != nil {
				ack.Acked = append(ack.Acked, r.ID)
				continue
			}
			outcome, err := s.applyReport(tx, r, now)
			if err != nil {
				return fmt.Errorf("report %d: %w", i, err)
			}
			if err := putJSON(rb, []byte(r.ID), storedReport{Report: r, Device: device, Received: now.UTC(), Outcome: outcome}); err != nil {
				return err
			}
			applied[outcome]++
			ack.Acked = append(ack.Acked, r.ID)
		}
		return nil
	})
	if err != nil {
		return wire.ReportAck{}, fmt.Errorf("apply reports: %w", err)
	}
	s.received.Add(uint64(len(ack.Acked)))
	s.applied.Add(uint64(sum(applied)))
	s.log.Info("reports received", "device", device, "batch", len(reports), "new", sum(applied),
		"turned_yellow", applied[OutcomeTurnedYellow], "sightings", applied[OutcomeSighting])
	return ack, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// applyReport applies one new report and says what it did.
func (s *Server) applyReport(tx *bolt.Tx, r wire.Report, now time.Time) (string, error) {
	switch r.Kind {
	case verify.ReportRedSighting:
		sb := tx.Bucket(bucketSightings)
		n, err := sb.NextSequence()
		if err != nil {
			return "", err
		}
		return OutcomeSighting, sb.Put(u64(n), []byte(r.ID))
	case verify.ReportFever:
		if r.Issuer != s.issuerIss {
			return OutcomeUnknownPerson, nil
		}
		pb := tx.Bucket(bucketPersons)
		v := pb.Get(personKey(r.Issuer, r.Sub))
		if v == nil {
			return OutcomeUnknownPerson, nil
		}
		var p personRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return "", fmt.Errorf("person record: %w", err)
		}
		if p.Color != verify.Green && p.Color != verify.Gray {
			return OutcomeRecorded, nil
		}
		if err := s.changeColor(tx, &p, verify.Yellow, "fever at checkpoint", now); err != nil {
			return "", err
		}
		return OutcomeTurnedYellow, nil
	}
	return OutcomeUnknownKind, nil
}

// ReportOutcome says whether a report id was received and what it did.
func (s *Server) ReportOutcome(id string) (outcome string, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReports).Get([]byte(id))
		if v == nil {
			return nil
		}
		var sr storedReport
		if err := json.Unmarshal(v, &sr); err != nil {
			return err
		}
		outcome, found = sr.Outcome, true
		return nil
	})
	return outcome, found, err
}

// ReportCount is the number of distinct reports received.
func (s *Server) ReportCount() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketReports).Stats().KeyN
		return nil
	})
	return n, err
}

// Sightings is the number of red sightings received.
func (s *Server) Sightings() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSightings).Stats().KeyN
		return nil
	})
	return n, err
}

// Stats counts, since Open, the reports received in acknowledged batches
// (a report sent again counts again) and the reports applied (once per
// id, ever): Applied never exceeds the distinct ids received.
type Stats struct {
	Received uint64
	Applied  uint64
}

// Stats returns the report counters since Open.
func (s *Server) Stats() Stats {
	return Stats{Received: s.received.Load(), Applied: s.applied.Load()}
}

// Sighting is one red-code sighting as received, for epidemic-prevention
// staff.
type Sighting struct {
	Report   wire.Report `json:"report"`
	Device   string      `json:"device"`
	Received time.Time   `json:"received"`
}

// RecentSightings returns up to max red sightings, newest first.
func (s *Server) RecentSightings(ctx context.Context, max int) ([]Sighting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Sighting
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketReports)
		c := tx.Bucket(bucketSightings).Cursor()
		for k, id := c.Last(); k != nil && len(out) < max; k, id = c.Prev() {
			v := rb.Get(id)
			if v == nil {
				continue
			}
			var sr storedReport
			if err := json.Unmarshal(v, &sr); err != nil {
				return fmt.Errorf("report %q: %w", id, err)
			}
			out = append(out, Sighting{Report: sr.Report, Device: sr.Device, Received: sr.Received})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sightings: %w", err)
	}
	return out, nil
}
