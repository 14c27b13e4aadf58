package verify

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

// BenchmarkVerifyMem is one full verification with in-memory trust and
// revocation sources (BenchmarkVerifyStore in store_bench_test.go uses a
// real bbolt file), beside the bare signature check of the same bytes.
func BenchmarkVerifyMem(b *testing.B) {
	w := newWorld(b)
	m := w.freshMem()
	v := w.verifier(m)
	c := w.claims()
	cred := sign(b, w.ed, TypCredential, c)
	nc := c
	nc.Iss = "640000"
	nc.Chk = t0.Unix()
	es := sign(b, w.es, TypCredential, nc)
	bound := prove(b, w.holder, sign(b, w.ed, TypCredential, w.bound()), t0)

	b.Run("ed25519.Verify", func(b *testing.B) {
		i := strings.LastIndexByte(cred, '.')
		in := []byte(cred[:i])
		sig, _ := b64.DecodeString(cred[i+1:])
		pub := edKey("issuer 450000").Public().(ed25519.PublicKey)
		for b.Loop() {
			if !ed25519.Verify(pub, in, sig) {
				b.Fatal("bad")
			}
		}
	})
	for _, bc := range []struct{ name, text string }{{"eddsa", cred}, {"es256", es}, {"eddsa-bound", bound}} {
		b.Run("Verify/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				if r := v.Verify(bc.text); !r.Valid {
					b.Fatal(r.Reason)
				}
			}
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		i := strings.LastIndexByte(cred, '.')
		in := []byte(cred[:i])
		sig, _ := b64.DecodeString(cred[i+1:])
		pub := edKey("issuer 450000").Public().(ed25519.PublicKey)
		compareCPU(b, func() {
			if !ed25519.Verify(pub, in, sig) {
				b.Fatal("bad")
			}
		}, func() {
			if r := v.Verify(cred); !r.Valid {
				b.Fatal(r.Reason)
			}
		})
	})
	b.Run("parse only", func(b *testing.B) {
		for b.Loop() {
			j, err := parseJWS(cred, TypCredential, MaxQRText)
			if err != nil {
				b.Fatal(err)
			}
			d := decoder{b: j.payload}
			if _, err := d.claims(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
