package verify

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the seed corpora in testdata/fuzz")

// fuzzSeeds are the inputs of each fuzz target's seed corpus, made from
// the fixtures of the table tests.
func fuzzSeeds(t testing.TB) map[string][]string {
	w := newWorld(t)
	c := w.claims()
	good := sign(t, w.ed, TypCredential, c)
	bound := sign(t, w.ed, TypCredential, w.bound())
	nc := c
	nc.Iss = "640000"
	es := sign(t, w.es, TypCredential, nc)
	tlJSON, _ := json.Marshal(w.tl)
	announcing := w.tl
	nextRoot := mustSigner(t, "root-2", edKey("next root")).PublicJWK()
	announcing.NextRoot = &nextRoot
	tlNextJSON, _ := json.Marshal(announcing)
	feed := RevocationFeed{Iss: "yanma-root", Iat: t0.Unix(), From: 1, To: 3,
		Entries: []RevocationEntry{{JTI: "j-1"}, {SH: HashPerson("450000", "p-0001").String(), Before: t0.Unix()}}}
	feedJSON, _ := json.Marshal(feed)
	return map[string][]string{
		"FuzzQRText": {
			good, es, bound, prove(t, w.holder, bound, t0),
			"https://hc.example.cn/v#" + prove(t, w.holder, bound, t0),
			good + "~", "", "a.b.c", tamperSig(good),
			hs256(t, `{"alg":"HS256","typ":"hc+jwt","kid":"k1"}`, claimsJSON(t, c), []byte("k")),
		},
		"FuzzCredential": {
			claimsJSON(t, c), claimsJSON(t, w.bound()),
			`{"iss":"450000","sub":"p","jti":"j","iat":1,"exp":2,"col":"green","nam":"\u5f20*","x":[{"a":null},true,1.5e3]}`,
			`{"col":"red","col":"green"}`, `[[[[]]]]`, "{\"nam\":\"\xff\"}",
		},
		"FuzzTrustList": {string(tlJSON), `{"iss":"r","iat":1,"exp":2,"seq":1,"issuers":null,"policy":{}}`, w.signTrust(t, w.tl), string(tlNextJSON)},
		"FuzzRevocationFeed": {string(feedJSON), `{"iss":"r","iat":1,"from":0,"to":0,"full":true,"entries":[]}`,
			sign(t, w.root, TypRevocations, feed)},
	}
}

// TestFuzzSeedCorpora checks that testdata/fuzz holds the seeds; run
// with -update-seeds to rewrite it.
func TestFuzzSeedCorpora(t *testing.T) {
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		for i, s := range seeds {
			name := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			want := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			// ES256 signatures are randomized, so the files are checked
			// for presence and form, not byte for byte.
			got, err := os.ReadFile(name)
			if err != nil || !strings.HasPrefix(string(got), "go test fuzz v1\nstring(") {
				t.Errorf("%s is missing or damaged; run go test ./verify -run TestFuzzSeedCorpora -update-seeds", name)
			}
		}
	}
}

func fuzzVerifier(t testing.TB) (*world, *Verifier) {
	w := newWorld(t)
	m := w.freshMem()
	m.person[HashPerson("450000", "p-0002")] = t0.Unix()
	return w, w.verifier(m)
}

// FuzzQRText feeds arbitrary QR texts to Verify: it must not panic, and
// every result must be coherent (valid exactly when the reason is ok, a
// known reason, no personal data shown unless the signature held).
func FuzzQRText(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzQRText"] {
		f.Add(s)
	}
	_, v := fuzzVerifier(f)
	reasons := Reasons()
	f.Fuzz(func(t *testing.T, text string) {
		r := v.Verify(text)
		if r.Valid != (r.Reason == ReasonOK) {
			t.Fatalf("valid %v with reason %q", r.Valid, r.Reason)
		}
		if !slices.Contains(reasons, r.Reason) {
			t.Fatalf("unknown reason %q", r.Reason)
		}
		if r.Name != "" && r.Reason != ReasonOK && r.Color == "" {
			t.Fatalf("name shown without an authentic colour: %+v", r)
		}
	})
}

// FuzzCredential feeds arbitrary claims JSON, signed by a trusted issuer,
// to Verify and to the claims parser. Whatever the strict parser accepts
// must also be JSON to encoding/json, with the same values for the claims.
func FuzzCredential(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzCredential"] {
		f.Add(s)
	}
	w, v := fuzzVerifier(f)
	hdr := b64.EncodeToString([]byte(`{"alg":"EdDSA","typ":"hc+jwt","kid":"k1"}`)) + "."
	f.Fuzz(func(t *testing.T, payload string) {
		d := decoder{b: []byte(payload)}
		c, err := d.claims()
		if err == nil {
			err = d.end()
		}
		if err == nil {
			if !json.Valid([]byte(payload)) {
				t.Fatalf("strict parser accepted what encoding/json refuses: %q", payload)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(payload), &m); err != nil {
				t.Fatal(err)
			}
			if s, ok := m["iss"].(string); ok && s != c.Iss {
				t.Fatalf("iss %q vs encoding/json %q", c.Iss, s)
			}
			if s, ok := m["col"].(string); ok && s != string(c.Col) {
				t.Fatalf("col %q vs encoding/json %q", c.Col, s)
			}
		}
		if len(payload) > 3000 {
			return
		}
		tok := signInput(t, w.ed, hdr+b64.EncodeToString([]byte(payload)))
		r := v.Verify(tok)
		if r.Valid != (r.Reason == ReasonOK) {
			t.Fatalf("valid %v with reason %q", r.Valid, r.Reason)
		}
		if r.Valid && (err != nil || c.validate() != nil) {
			t.Fatalf("valid although the claims do not parse: %v", err)
		}
	})
}

// FuzzTrustList feeds arbitrary input to ParseTrustList twice: as a token
// as it is, and as a payload signed by the pinned root (so that the
// content checks are reached). An accepted list must be internally
// sound: every key usable, issuers unique.
func FuzzTrustList(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzTrustList"] {
		f.Add(s)
	}
	w := newWorld(f)
	roots := []JWK{w.root.PublicJWK()}
	hdr := b64.EncodeToString([]byte(`{"alg":"EdDSA","typ":"hc-trust+jwt","kid":"root-1"}`)) + "."
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := ParseTrustList(in, roots, t0); err == nil && len(in) < 20 {
			t.Fatalf("accepted %q", in)
		}
		tl, err := ParseTrustList(signInput(t, w.root, hdr+b64.EncodeToString([]byte(in))), roots, t0)
		if err != nil {
			return
		}
		if !json.Valid([]byte(in)) {
			t.Fatalf("accepted what encoding/json refuses: %q", in)
		}
		ix := buildIndex(tl)
		n := 0
		for _, is := range ix.issuers {
			n += len(is.keys)
		}
		want := 0
		for _, e := range tl.Issuers {
			want += len(e.Keys)
		}
		if n != want || len(ix.issuers) != len(tl.Issuers) {
			t.Fatalf("accepted list has unusable keys or repeated issuers: %d/%d keys, %d/%d issuers", n, want, len(ix.issuers), len(tl.Issuers))
		}
		if time.Unix(tl.Exp, 0).Before(t0) {
			t.Fatal("accepted an expired list")
		}
		if k := tl.NextRoot; k != nil {
			if _, err := k.PublicKey(); err != nil || k.Kid == "" {
				t.Fatalf("accepted an unusable next root %+v: %v", *k, err)
			}
		}
	})
}

// FuzzRevocationFeed is FuzzTrustList for feeds: every accepted entry is
// exactly one of {jti} and {sh, before} with a parseable sh.
func FuzzRevocationFeed(f *testing.F) {
	for _, s := range fuzzSeeds(f)["FuzzRevocationFeed"] {
		f.Add(s)
	}
	w := newWorld(f)
	roots := []JWK{w.root.PublicJWK()}
	hdr := b64.EncodeToString([]byte(`{"alg":"EdDSA","typ":"hc-revocations+jwt","kid":"root-1"}`)) + "."
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := ParseRevocationFeed(in, roots); err == nil && len(in) < 20 {
			t.Fatalf("accepted %q", in)
		}
		feed, err := ParseRevocationFeed(signInput(t, w.root, hdr+b64.EncodeToString([]byte(in))), roots)
		if err != nil {
			return
		}
		if !json.Valid([]byte(in)) {
			t.Fatalf("accepted what encoding/json refuses: %q", in)
		}
		for i, e := range feed.Entries {
			_, shErr := ParsePersonHash(e.SH)
			if (e.JTI == "") == (e.SH == "") || (e.SH != "" && (shErr != nil || e.Before <= 0)) {
				t.Fatalf("entry %d accepted: %+v", i, e)
			}
		}
	})
}
