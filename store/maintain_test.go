package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"yanma/verify"
)

func TestMaintainPurgesByRetention(t *testing.T) {
	now := testT0.AddDate(0, 0, 40)
	tests := []struct {
		name string
		days int
		want int // entries left of one a day for 40 days
	}{
		{"default 28 days", 0, 28},
		{"7 days", 7, 7},
		{"longer than held", 100, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			for d := range 40 {
				if _, err := db.Record(testEntry(now.AddDate(0, 0, -d).Add(-time.Minute)), nil); err != nil {
					t.Fatal(err)
				}
			}
			res, err := db.Maintain(context.Background(), now, MaintainConfig{RetentionDays: tc.days})
			if err != nil {
				t.Fatal(err)
			}
			left, _ := db.Entries(time.Time{}, now.AddDate(1, 0, 0))
			if len(left) != tc.want || res.Purged != 40-tc.want || res.Compacted {
				t.Fatalf("left %d, purged %d, compacted %v; want %d left, no compaction of a small file", len(left), res.Purged, res.Compacted, tc.want)
			}
		})
	}
}

func TestCompactKeepsEverything(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := openTest(t)
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTrustList(root.trustList(t, 4, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	_, alice := person("alice", 77)
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{To: 9, Full: true, Count: 2, Entries: []verify.RevocationEntry{alice, {JTI: "gone"}}}), testT0); err != nil {
		t.Fatal(err)
	}
	// Churn: many fat old entries, then purge them, leaving free pages.
	fat := testEntry(testT0)
	fat.Name = strings.Repeat("x", 2000)
	for i := range 3000 {
		fat.Time = testT0.Add(time.Duration(i) * time.Second)
		fat.ID = ""
		if _, err := db.Record(fat, nil); err != nil {
			t.Fatal(err)
		}
	}
	var keep []string
	for i := range 5 {
		e, err := db.Record(testEntry(testT0.AddDate(0, 0, 30).Add(time.Duration(i)*time.Minute)), testReport(verify.ReportFever))
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, e.ID)
	}
	before := observe(t, db)
	res, err := db.Maintain(context.Background(), testT0.AddDate(0, 0, 31), MaintainConfig{CompactMinBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Purged != 3000 || !res.Compacted || res.AfterBytes >= res.FileBytes/4 {
		t.Fatalf("maintain %+v: want 3000 purged and a file far smaller", res)
	}
	if got := observe(t, db); got != before {
		t.Fatalf("revocations after compaction %+v, want %+v", got, before)
	}
	if tl, err := db.Trust(); err != nil || tl.Seq != 4 {
		t.Fatalf("trust after compaction %v", err)
	}
	// Sequence numbers survive: a report recorded now still comes last.
	late, err := db.Record(testEntry(testT0.AddDate(0, 0, 30).Add(time.Hour)), testReport(verify.ReportFever))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := db.Entries(testT0.AddDate(0, 0, 29), testT0.AddDate(0, 0, 31))
	pending, _ := db.PendingReports(0)
	if len(entries) != 6 || entries[5].ID != late.ID || len(pending) != 6 || pending[5].Time != late.Time {
		t.Fatalf("after compaction: %d entries, %d reports", len(entries), len(pending))
	}
	for i, id := range keep {
		if entries[i].ID != id {
			t.Fatalf("entry %d = %s, want %s", i, entries[i].ID, id)
		}
	}
	if n, _, _ := db.OutboxStats(); n != 6 {
		t.Fatalf("outbox %d", n)
	}
	db = reopen(t, db)
	if got := observe(t, db); got != before {
		t.Fatalf("after reopen %+v", got)
	}
}
