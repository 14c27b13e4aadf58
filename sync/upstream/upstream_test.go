package upstream

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"yanma/sync/wire"
	"yanma/verify"
)

// clock is a settable fake clock.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2020, 2, 20, 8, 0, 0, 0, time.UTC)} }

func open(t testing.TB, path string, opts ...Option) *Server {
	t.Helper()
	s, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newServer(t testing.TB, opts ...Option) (*Server, *clock) {
	t.Helper()
	clk := newClock()
	return open(t, filepath.Join(t.TempDir(), "up.db"), append([]Option{WithClock(clk.now)}, opts...)...), clk
}

func parseTrust(t *testing.T, s *Server, now time.Time) (*verify.TrustList, string) {
	t.Helper()
	jws, err := s.TrustList()
	if err != nil {
		t.Fatal(err)
	}
	tl, err := verify.ParseTrustList(jws, []verify.JWK{s.RootJWK()}, now)
	if err != nil {
		t.Fatalf("parse trust list: %v", err)
	}
	return tl, jws
}

func TestTrustListSeqAndRenewal(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s := open(t, filepath.Join(dir, "up.db"), WithClock(clk.now))
	tl, first := parseTrust(t, s, clk.now())
	if tl.Seq != 1 || len(tl.Issuers) != 1 || tl.Issuers[0].Iss != DefaultIssuer || len(tl.Issuers[0].Keys) != 1 {
		t.Fatalf("first trust list: %+v", tl)
	}
	if tl.Issuers[0].Keys[0] != s.IssuerJWK() {
		t.Fatalf("issuer key in the list %+v, signer's %+v", tl.Issuers[0].Keys[0], s.IssuerJWK())
	}

	clk.add(time.Hour)
	if _, again := parseTrust(t, s, clk.now()); again != first {
		t.Fatal("trust list re-signed though nothing changed and most of its validity remains")
	}
	clk.add(4 * 24 * time.Hour) // past half of the 7 days
	renewed, jws := parseTrust(t, s, clk.now())
	if jws == first || renewed.Seq != 1 || renewed.Exp <= tl.Exp {
		t.Fatalf("renewal: seq %d exp %d (was %d), want the same seq, a later exp", renewed.Seq, renewed.Exp, tl.Exp)
	}

	pol := verify.Policy{TempThresholdC: 37.5, ProofWindowS: 30, MaxOfflineHours: 48}
	if err := s.SetPolicy(pol); err != nil {
		t.Fatal(err)
	}
	changed, _ := parseTrust(t, s, clk.now())
	if changed.Seq != 2 || changed.Policy != pol {
		t.Fatalf("after a policy change: seq %d policy %+v, want seq 2", changed.Seq, changed.Policy)
	}
	root := s.RootJWK()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, filepath.Join(dir, "up.db"), WithClock(clk.now), WithPolicy(pol))
	if s2.RootJWK() != root {
		t.Fatal("root key changed across a restart")
	}
	if again, _ := parseTrust(t, s2, clk.now()); again.Seq != 2 {
		t.Fatalf("seq after a restart with the same content: %d, want 2", again.Seq)
	}
}

func TestIssueReflectsPlatformColour(t *testing.T) {
	ctx := context.Background()
	s, clk := newServer(t)
	tests := []struct {
		name      string
		sub       string
		ask       verify.Color
		setBefore verify.Color
		want      verify.Color
	}{
		{"new person, default green", "a", "", "", verify.Green},
		{"new person, red", "b", verify.Red, "", verify.Red},
		{"known red person asked green stays red", "b", verify.Green, "", verify.Red},
		{"set yellow, asked green", "a", verify.Green, verify.Yellow, verify.Yellow},
		{"set back to green", "a", "", verify.Green, verify.Green},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before int64
			if tt.setBefore != "" {
				if err := s.SetColor(ctx, tt.sub, tt.setBefore, "test"); err != nil {
					t.Fatal(err)
				}
				before = clk.now().Unix() + 1
			}
			is, err := s.Issue(ctx, PersonRequest{Sub: tt.sub, Name: "王小明", ID: "450103199001011234", Color: tt.ask})
			if err != nil {
				t.Fatal(err)
			}
			if is.Claims.Col != tt.want {
				t.Fatalf("colour %s, want %s", is.Claims.Col, tt.want)
			}
			if is.Claims.Iat < before {
				t.Fatalf("iat %d before the revocation cut-off %d: the fresh code would be revoked", is.Claims.Iat, before)
			}
			if is.Claims.Nam != "王*明" || is.Claims.Idm != "450*1234" {
				t.Fatalf("masking: %q %q", is.Claims.Nam, is.Claims.Idm)
			}
		})
	}
	if err := s.SetColor(ctx, "nobody", verify.Red, "test"); !errors.Is(err, ErrUnknownPerson) {
		t.Fatalf("set colour of an unknown person: %v", err)
	}
	if _, err := s.Issue(ctx, PersonRequest{Sub: "c", Color: "purple"}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("issue purple: %v", err)
	}
}

func TestMasked(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"name", "张三丰", "张*丰"},
		{"two characters", "张三", "张*"},
		{"already masked", "张**", "张**"},
		{"id", "450103199001011234", "450*1234"},
		{"id already masked", "4501**********1234", "4501**********1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mask := verify.MaskName
			if strings.HasPrefix(tt.name, "id") {
				mask = verify.MaskID
			}
			if got := masked(tt.in, mask); got != tt.want {
				t.Fatalf("masked(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRevocationDeltas(t *testing.T) {
	ctx := context.Background()
	s, _ := newServer(t)
	root := []verify.JWK{s.RootJWK()}
	sh := verify.HashPerson("450000", "x").String()
	if err := s.Revoke(ctx, verify.RevocationEntry{JTI: "j1"}, verify.RevocationEntry{SH: sh, Before: 100},
		verify.RevocationEntry{SH: sh, Before: 200}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		from    uint64
		want    int
		wantErr error
	}{
		{"from zero", 0, 3, nil},
		{"from one", 1, 2, nil},
		{"at head", 3, 0, nil},
		{"ahead", 4, 0, ErrAhead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := s.Revocations(ctx, tt.from)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			feed, err := verify.ParseRevocationFeed(f.JWS, root)
			if err != nil {
				t.Fatal(err)
			}
			if feed.Full || feed.From != tt.from || feed.To != 3 || len(feed.Entries) != tt.want {
				t.Fatalf("feed from %d: %+v", tt.from, feed)
			}
		})
	}
	if err := s.Revoke(ctx, verify.RevocationEntry{SH: "zz", Before: 1}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("revoke a malformed sh: %v", err)
	}
}

// A snapshot at seq H in pages: every key created up to H exactly once,
// none created later, the count signed on every page — while new
// revocations arrive between the pages.
func TestSnapshotPagesConsistent(t *testing.T) {
	ctx := context.Background()
	s, _ := newServer(t, WithPageSize(3), WithMaxDelta(2))
	root := []verify.JWK{s.RootJWK()}
	var entries []verify.RevocationEntry
	for i := range 10 {
		entries = append(entries, verify.RevocationEntry{SH: verify.HashPerson("450000", string(rune('a'+i))).String(), Before: int64(1000 + i)})
	}
	entries = append(entries, verify.RevocationEntry{JTI: "jti-1"}, verify.RevocationEntry{SH: entries[0].SH, Before: 5000})
	if err := s.Revoke(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	first, err := s.Revocations(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Full || first.Next == "" || first.Head != 12 {
		t.Fatalf("first answer: full %v next %q head %d, want a paged snapshot at 12", first.Full, first.Next, first.Head)
	}
	// Arrivals during the download: a new person, and a newer cut-off
	// for one already in the snapshot.
	if err := s.Revoke(ctx, verify.RevocationEntry{SH: verify.HashPerson("450000", "late").String(), Before: 9},
		verify.RevocationEntry{SH: entries[9].SH, Before: 7000}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	page, pages := first, 0
	for {
		pages++
		feed, err := verify.ParseRevocationFeed(page.JWS, root)
		if err != nil {
			t.Fatal(err)
		}
		if !feed.Full || feed.To != 12 || feed.Count != 11 {
			t.Fatalf("page %d: full %v to %d count %d, want full, 12, 11", pages, feed.Full, feed.To, feed.Count)
		}
		for _, e := range feed.Entries {
			k := e.SH + e.JTI
			if seen[k] {
				t.Fatalf("entry %s twice", k)
			}
			seen[k] = true
			if e.SH == entries[0].SH && e.Before != 5000 {
				t.Fatalf("person 0 before %d, want the newest 5000", e.Before)
			}
		}
		if page.Next == "" {
			break
		}
		if page, err = s.SnapshotPage(ctx, 12, page.Next); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 11 || pages != 4 {
		t.Fatalf("%d entries in %d pages, want 11 in 4", len(seen), pages)
	}
	if seen[verify.HashPerson("450000", "late").String()] {
		t.Fatal("an entry created after the snapshot's seq is in it")
	}
	if _, err := s.SnapshotPage(ctx, 99, ""); !errors.Is(err, ErrAhead) {
		t.Fatalf("snapshot beyond the head: %v", err)
	}
	if _, err := s.SnapshotPage(ctx, 12, "not-hex"); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("snapshot with a bad cursor: %v", err)
	}
}

func TestApplyReportsOnceAndOutcomes(t *testing.T) {
	ctx := context.Background()
	s, _ := newServer(t)
	green, err := s.Issue(ctx, PersonRequest{Sub: "g", Color: verify.Green})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Issue(ctx, PersonRequest{Sub: "r", Color: verify.Red}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 2, 20, 7, 0, 0, 0, time.UTC)
	batch := []wire.Report{
		{ID: "1", Kind: verify.ReportFever, Time: at, Issuer: "450000", Sub: "g", JTI: green.Claims.JTI},
		{ID: "2", Kind: verify.ReportRedSighting, Time: at, Issuer: "450000", Sub: "r"},
		{ID: "3", Kind: verify.ReportFever, Time: at, Issuer: "450000", Sub: "g"},
		{ID: "4", Kind: verify.ReportFever, Time: at, Issuer: "110000", Sub: "g"},
		{ID: "5", Kind: "teleported", Time: at, Issuer: "450000", Sub: "g"},
		{ID: "", Kind: verify.ReportFever, Time: at, Issuer: "450000", Sub: "g"},
	}
	ack, err := s.ApplyReports(ctx, "dev-1", batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Acked) != 5 || len(ack.Rejected) != 1 || ack.Rejected[0].Index != 5 {
		t.Fatalf("ack %+v", ack)
	}
	if ack.Acked[0] != "2" {
		t.Fatalf("acked order %v, want the red sighting first", ack.Acked)
	}
	want := map[string]string{"1": OutcomeTurnedYellow, "2": OutcomeSighting, "3": OutcomeRecorded,
		"4": OutcomeUnknownPerson, "5": OutcomeUnknownKind}
	for id, w := range want {
		t.Run("outcome "+id, func(t *testing.T) {
			got, found, err := s.ReportOutcome(id)
			if err != nil || !found || got != w {
				t.Fatalf("outcome %q found %v err %v, want %q", got, found, err, w)
			}
		})
	}
	head, _ := s.RevocationHead()
	again, err := s.ApplyReports(ctx, "dev-2", batch)
	if err != nil || len(again.Acked) != 5 {
		t.Fatalf("second delivery: %+v %v", again, err)
	}
	if h, _ := s.RevocationHead(); h != head || head != 1 {
		t.Fatalf("revocation head %d after a second delivery, %d after the first, want 1 both", h, head)
	}
	if n, _ := s.ReportCount(); n != 5 {
		t.Fatalf("reports kept: %d, want 5", n)
	}
	if n, _ := s.Sightings(); n != 1 {
		t.Fatalf("sightings: %d, want 1", n)
	}
	list, err := s.RecentSightings(ctx, 10)
	if err != nil || len(list) != 1 || list[0].Report.Sub != "r" || list[0].Device != "dev-1" {
		t.Fatalf("recent sightings: %+v %v", list, err)
	}
}

func TestHTTPConditionalGzipAndAdmin(t *testing.T) {
	s, _ := newServer(t)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	var many []verify.RevocationEntry
	for i := range 100 {
		many = append(many, verify.RevocationEntry{JTI: strings.Repeat("j", i+1)})
	}
	if err := s.Revoke(context.Background(), many...); err != nil {
		t.Fatal(err)
	}
	r := get(wire.PathRevocations+"?from=0", map[string]string{"Accept-Encoding": "gzip"})
	if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("ETag") != wire.RevocationETag(100) {
		t.Fatalf("feed: %d %q %q", r.StatusCode, r.Header.Get("Content-Encoding"), r.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if _, err := verify.ParseRevocationFeed(string(body), []verify.JWK{s.RootJWK()}); err != nil {
		t.Fatalf("gzipped feed: %v", err)
	}
	r = get(wire.PathTrustList, nil)
	body, _ = io.ReadAll(r.Body)
	jws, _ := s.TrustList()
	if string(body) != jws || r.Header.Get("ETag") != wire.TrustETag(jws) {
		t.Fatal("trust list body or ETag is not the signed list")
	}
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"trust list unchanged", wire.PathTrustList, map[string]string{"If-None-Match": wire.TrustETag(jws)}, 304},
		{"trust list other tag", wire.PathTrustList, map[string]string{"If-None-Match": `"x"`}, 200},
		{"feed unchanged", wire.PathRevocations + "?from=100", map[string]string{"If-None-Match": wire.RevocationETag(100)}, 304},
		{"feed behind, tag of the seq held", wire.PathRevocations + "?from=99", map[string]string{"If-None-Match": wire.RevocationETag(99)}, 200},
		{"feed no tag", wire.PathRevocations + "?from=100", nil, 200},
		{"feed bad from", wire.PathRevocations + "?from=x", nil, 400},
		{"feed ahead", wire.PathRevocations + "?from=107", nil, 409},
		{"root", wire.PathRoot, nil, 200},
		{"health", wire.PathHealth, nil, 200},
		{"snapshot without admin token", wire.PathFullSnapshot, nil, 401},
		{"snapshot with admin token", wire.PathFullSnapshot, map[string]string{"Authorization": "Bearer " + s.AdminToken()}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := get(tt.path, tt.hdr); r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tt.status)
			}
		})
	}
	post := func(path, token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	admin := []struct {
		name   string
		path   string
		token  string
		body   string
		status int
	}{
		{"issue without token", wire.PathCodes, "", `{"sub":"a"}`, 401},
		{"issue with a wrong token", wire.PathCodes, "guess", `{"sub":"a"}`, 401},
		{"issue", wire.PathCodes, s.AdminToken(), `{"sub":"a"}`, 200},
		{"issue without sub", wire.PathCodes, s.AdminToken(), `{}`, 400},
		{"enrollment code without token", wire.PathEnrollmentCodes, "", `{}`, 401},
		{"enrollment code", wire.PathEnrollmentCodes, s.AdminToken(), `{}`, 200},
		{"colour", wire.PathPersonColor, s.AdminToken(), `{"sub":"a","color":"red"}`, 204},
		{"colour of nobody", wire.PathPersonColor, s.AdminToken(), `{"sub":"nobody","color":"red"}`, 404},
		{"revoke unknown device", wire.PathDeviceRevoke, s.AdminToken(), `{"device_id":"dev-x"}`, 401},
		{"reports without token", wire.PathReports, "", `{"reports":[]}`, 401},
		{"enroll garbage", wire.PathEnroll, "", `{"code":`, 400},
		{"issuer key, unknown step", wire.PathIssuerKey + "?step=now", s.AdminToken(), "", 400},
		{"issuer key rotation not prepared", wire.PathIssuerKey + "?step=rotate", s.AdminToken(), "", 400},
		{"root step without token", wire.PathRoot + "?step=prepare", "", "", 401},
		{"root, unknown step", wire.PathRoot + "?step=now", s.AdminToken(), "", 400},
		{"root rotation not prepared", wire.PathRoot + "?step=rotate", s.AdminToken(), "", 400},
		{"root prepare", wire.PathRoot + "?step=prepare", s.AdminToken(), "", 200},
	}
	for _, tt := range admin {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.path, tt.token, tt.body); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "up.db")
	open(t, path)
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestEnrollmentCodeNormalized(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abcd-efgh-jkmn", "ABCDEFGHJKMN"},
		{" 0o1l-I ", "00111"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeEnrollmentCode(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

type memTrust struct{ tl *verify.TrustList }

func (m memTrust) Trust() (*verify.TrustList, error) { return m.tl, nil }

type noRevocations struct{}

func (noRevocations) RevokedBefore(verify.PersonHash) (int64, bool, error) { return 0, false, nil }
func (noRevocations) RevokedJTI(string) (bool, error)                      { return false, nil }

// Key rotation: the next key is published before it signs; codes signed
// by the old key verify until they expire, and then the old key leaves the
// trust list.
func TestIssuerKeyRotation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "up.db")
	clk := newClock()
	s := open(t, path, WithClock(clk.now), WithCodeTTL(24*time.Hour))
	kidOf := func(is Issued) string {
		t.Helper()
		tl, _ := parseTrust(t, s, clk.now())
		r := verify.New(memTrust{tl}, noRevocations{}, nil, verify.WithClock(clk.now)).Verify(is.Credential)
		if !r.Valid {
			t.Fatalf("code %s does not verify against the trust list of seq %d: %s", is.Claims.JTI, tl.Seq, r.Reason)
		}
		return r.Kid
	}
	a, _ := s.Issue(ctx, PersonRequest{Sub: "a"})
	first := kidOf(a)
	if _, err := s.RotateIssuerKey(ctx); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("rotate before prepare: %v, want ErrBadRequest", err)
	}

	next, err := s.PrepareIssuerKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tl, _ := parseTrust(t, s, clk.now())
	if tl.Seq != 2 || len(tl.Issuers[0].Keys) != 2 {
		t.Fatalf("after prepare: seq %d, %d keys", tl.Seq, len(tl.Issuers[0].Keys))
	}
	b, _ := s.Issue(ctx, PersonRequest{Sub: "b"})
	if kidOf(b) != first {
		t.Fatal("a prepared key signed before the rotation")
	}
	cur, err := s.RotateIssuerKey(ctx)
	if err != nil || cur.Kid != next.Kid {
		t.Fatalf("rotate: %v, kid %s, want the prepared %s", err, cur.Kid, next.Kid)
	}
	c, _ := s.Issue(ctx, PersonRequest{Sub: "c"})
	if kidOf(c) != next.Kid || kidOf(a) != first {
		t.Fatal("after the rotation: new codes must use the new key, old ones still verify")
	}
	if tl, _ := parseTrust(t, s, clk.now()); tl.Seq != 3 || len(tl.Issuers[0].Keys) != 2 {
		t.Fatalf("after rotate: seq %d, %d keys", tl.Seq, len(tl.Issuers[0].Keys))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, WithClock(clk.now), WithCodeTTL(24*time.Hour))
	if s.IssuerJWK().Kid != next.Kid {
		t.Fatal("the rotation did not survive a restart")
	}
	if tl, _ := parseTrust(t, s, clk.now()); tl.Seq != 3 {
		t.Fatalf("restart changed the trust list: seq %d", tl.Seq)
	}
	clk.add(25 * time.Hour)
	if tl, _ := parseTrust(t, s, clk.now()); tl.Seq != 4 || len(tl.Issuers[0].Keys) != 1 || tl.Issuers[0].Keys[0].Kid != next.Kid {
		t.Fatalf("once the old codes expired: seq %d, keys %+v", tl.Seq, tl.Issuers[0].Keys)
	}
}

// Root rotation: the next root is announced in a list the old root signs;
// after the rotation the lists and feeds are signed by the new root alone,
// and a rotation without an announced root is refused.
func TestRootRotation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "up.db")
	clk := newClock()
	s := open(t, path, WithClock(clk.now))
	old := s.RootJWK()
	if _, err := s.RotateRoot(ctx); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("rotate before prepare: %v, want ErrBadRequest", err)
	}
	feedSignedBy := func(root verify.JWK) error {
		f, err := s.Revocations(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify.ParseRevocationFeed(f.JWS, []verify.JWK{root})
		return err
	}

	next, err := s.PrepareRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.PrepareRoot(ctx); err != nil || again != next {
		t.Fatalf("prepare again: %v, %s; want the same root %s", err, again.Kid, next.Kid)
	}
	tl, _ := parseTrust(t, s, clk.now()) // still signed by the old root
	if tl.Seq != 2 || tl.NextRoot == nil || *tl.NextRoot != next || s.RootJWK() != old {
		t.Fatalf("after prepare: seq %d, next root %+v, root %s", tl.Seq, tl.NextRoot, s.RootJWK().Kid)
	}
	if err := feedSignedBy(old); err != nil {
		t.Fatalf("feed before the rotation: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, WithClock(clk.now))
	if tl, _ := parseTrust(t, s, clk.now()); tl.Seq != 2 || tl.NextRoot == nil || *tl.NextRoot != next {
		t.Fatalf("restart lost the announced root: seq %d, %+v", tl.Seq, tl.NextRoot)
	}

	cur, err := s.RotateRoot(ctx)
	if err != nil || cur != next || s.RootJWK() != next {
		t.Fatalf("rotate: %v, %s; want %s", err, cur.Kid, next.Kid)
	}
	jws, err := s.TrustList()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify.ParseTrustList(jws, []verify.JWK{old}, clk.now()); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("list after the rotation checked against the old root: %v", err)
	}
	tl, _ = parseTrust(t, s, clk.now())
	if tl.Seq != 3 || tl.NextRoot != nil {
		t.Fatalf("after rotate: seq %d, next root %+v", tl.Seq, tl.NextRoot)
	}
	if err := feedSignedBy(next); err != nil {
		t.Fatalf("feed after the rotation: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, WithClock(clk.now))
	if s.RootJWK() != next {
		t.Fatal("the rotation did not survive a restart")
	}
	if tl, _ := parseTrust(t, s, clk.now()); tl.Seq != 3 {
		t.Fatalf("restart changed the trust list: seq %d", tl.Seq)
	}
	if _, err := s.RotateRoot(ctx); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("second rotate without prepare: %v", err)
	}
}
