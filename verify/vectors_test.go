package verify_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"yanma/verify"
)

var updateVectors = flag.Bool("update-vectors", false, "regenerate testdata/vectors (see its README)")

const vectorDir = "testdata/vectors"

// vectorFile is the layout of testdata/vectors/vectors.json.
type vectorFile struct {
	Comment     string         `json:"comment"`
	Roots       []verify.JWK   `json:"roots"`
	TrustLists  []artefactCase `json:"trust_lists"`
	Feeds       []artefactCase `json:"feeds"`
	Credentials []qrCase       `json:"credentials"`
}

// artefactCase is a signed trust list or feed and whether a terminal
// pinning Roots accepts it at At.
type artefactCase struct {
	Name   string `json:"name"`
	MadeBy string `json:"made_by"`
	Token  string `json:"token"`
	At     string `json:"at"`
	// Expect is "ok" or the refusal: "bad_signature", "expired",
	// "wrong_typ", "malformed", "alg_not_allowed", "too_large".
	Expect string `json:"expect"`
}

// qrCase is one QR text presented to a terminal.
type qrCase struct {
	Name   string `json:"name"`
	MadeBy string `json:"made_by"`
	QR     string `json:"qr"`
	// The terminal: clock, the trust list (index into TrustLists) and
	// feed (index into Feeds, -1 none applied) it holds, when each was
	// last confirmed current, and whether the site accepts stale data.
	At              string `json:"at"`
	TrustList       int    `json:"trust_list"`
	Feed            int    `json:"feed"`
	TrustAsOf       string `json:"trust_as_of"`
	RevocationsAsOf string `json:"revocations_as_of,omitempty"`
	AcceptStale     bool   `json:"accept_stale,omitempty"`
	Expect          expect `json:"expect"`
}

type expect struct {
	Valid  bool          `json:"valid"`
	Reason verify.Reason `json:"reason"`
	Color  verify.Color  `json:"color,omitempty"`
}

// vectorTerminal is a terminal state built only from the exported API:
// what another implementation's test harness must do too.
type vectorTerminal struct {
	tl     *verify.TrustList
	jti    map[string]bool
	person map[verify.PersonHash]int64
	status verify.SyncStatus
}

func (t *vectorTerminal) Trust() (*verify.TrustList, error) {
	if t.tl == nil {
		return nil, verify.ErrNoTrustList
	}
	return t.tl, nil
}
func (t *vectorTerminal) RevokedJTI(jti string) (bool, error) { return t.jti[jti], nil }
func (t *vectorTerminal) RevokedBefore(p verify.PersonHash) (int64, bool, error) {
	b, ok := t.person[p]
	return b, ok, nil
}
func (t *vectorTerminal) SyncStatus() verify.SyncStatus { return t.status }

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func refusal(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{verify.ErrTooLarge, "too_large"}, {verify.ErrAlgNotAllowed, "alg_not_allowed"},
		{verify.ErrWrongType, "wrong_typ"}, {verify.ErrBadSignature, "bad_signature"},
		{verify.ErrExpired, "expired"}, {verify.ErrMalformed, "malformed"},
	} {
		if errorsIs(err, c.err) {
			return c.name
		}
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// TestVectors runs testdata/vectors/vectors.json: every artefact and QR
// text with its expected verdict.
func TestVectors(t *testing.T) {
	if *updateVectors {
		writeVectors(t)
	}
	raw, err := os.ReadFile(filepath.Join(vectorDir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Credentials) < 20 || len(vf.TrustLists) < 3 || len(vf.Feeds) < 2 {
		t.Fatalf("vectors.json holds too few cases: %d credentials, %d lists, %d feeds", len(vf.Credentials), len(vf.TrustLists), len(vf.Feeds))
	}
	lists := make([]*verify.TrustList, len(vf.TrustLists))
	for i, c := range vf.TrustLists {
		t.Run("trust_list/"+c.Name, func(t *testing.T) {
			tl, err := verify.ParseTrustList(c.Token, vf.Roots, parseTime(t, c.At))
			if got := refusal(err); got != c.Expect {
				t.Fatalf("got %s, want %s", got, c.Expect)
			}
			lists[i] = tl
		})
	}
	feeds := make([]*verify.RevocationFeed, len(vf.Feeds))
	for i, c := range vf.Feeds {
		t.Run("feed/"+c.Name, func(t *testing.T) {
			f, err := verify.ParseRevocationFeed(c.Token, vf.Roots)
			if got := refusal(err); got != c.Expect {
				t.Fatalf("got %s, want %s", got, c.Expect)
			}
			feeds[i] = f
		})
	}
	for _, c := range vf.Credentials {
		t.Run("qr/"+c.Name, func(t *testing.T) {
			term := &vectorTerminal{tl: lists[c.TrustList], jti: map[string]bool{}, person: map[verify.PersonHash]int64{}}
			if c.Feed >= 0 {
				for _, e := range feeds[c.Feed].Entries {
					if e.JTI != "" {
						term.jti[e.JTI] = true
						continue
					}
					p, err := verify.ParsePersonHash(e.SH)
					if err != nil {
						t.Fatal(err)
					}
					term.person[p] = max(term.person[p], e.Before)
				}
			}
			term.status = verify.SyncStatus{TrustAsOf: parseTime(t, c.TrustAsOf), RevocationsAsOf: parseTime(t, c.RevocationsAsOf)}
			at := parseTime(t, c.At)
			v := verify.New(term, term, term, verify.WithClock(func() time.Time { return at }), verify.WithAcceptStaleData(c.AcceptStale))
			r := v.Verify(c.QR)
			if r.Valid != c.Expect.Valid || r.Reason != c.Expect.Reason || (c.Expect.Color != "" && r.Color != c.Expect.Color) {
				t.Fatalf("got valid %v reason %s color %q, want %+v", r.Valid, r.Reason, r.Color, c.Expect)
			}
		})
	}
}
