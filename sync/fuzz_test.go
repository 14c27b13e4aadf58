package sync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"yanma/sync/wire"
)

// Whatever an upstream (or someone between) answers, a pull never panics
// and never changes the store: nothing the fuzzer makes is signed by the
// pinned root.
func FuzzPullAnswers(f *testing.F) {
	up := newUpstream(f)
	trust, err := up.TrustList()
	if err != nil {
		f.Fatal(err)
	}
	feed, err := up.Revocations(context.Background(), 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tamperSignature([]byte(trust)), tamperSignature([]byte(feed.JWS)), "")
	f.Add([]byte("not a jws"), tamperSignature([]byte(feed.JWS)), "00")
	f.Add([]byte(""), []byte("a.b.c"), "zz")
	var cur struct {
		trust, feed []byte
		next        string
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathTrustList:
			_, _ = w.Write(cur.trust)
		case wire.PathRevocations:
			if cur.next != "" && r.URL.Query().Get("snapshot") == "" {
				w.Header().Set(wire.HeaderSnapshotNext, cur.next)
			}
			_, _ = w.Write(cur.feed)
		default:
			http.NotFound(w, r)
		}
	}))
	f.Cleanup(hs.Close)
	db := newTerminal(f)
	if err := db.PinRoots(up.RootJWK()); err != nil {
		f.Fatal(err)
	}
	c := NewClient(hs.URL, db)
	f.Fuzz(func(t *testing.T, trustBody, feedBody []byte, next string) {
		cur.trust, cur.feed, cur.next = trustBody, feedBody, next
		if err := c.Pull(context.Background()); err == nil {
			t.Fatal("a pull of unsigned answers succeeded")
		}
		if db.TrustSeq() != 0 || db.RevocationSeq() != 0 || !db.SyncStatus().RevocationsAsOf.IsZero() {
			t.Fatal("an unsigned answer changed the store")
		}
	})
}
