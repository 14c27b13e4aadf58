package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"testing"
)

func TestPublicJWKRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pub  any
		alg  string
	}{
		{"ed25519", edKey("a").Public(), AlgEdDSA},
		{"p256", &ecKey(t, "b").PublicKey, AlgES256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := PublicJWK(tt.pub, "kid-1", tt.alg)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePublicJWK(raw)
			if err != nil {
				t.Fatalf("ParsePublicJWK(%s): %v", raw, err)
			}
			if back != k {
				t.Fatalf("round trip: got %+v, want %+v", back, k)
			}
			pub, err := back.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			type equaler interface{ Equal(crypto.PublicKey) bool }
			if !pub.(equaler).Equal(tt.pub) {
				t.Fatal("PublicKey differs from the key the JWK was made of")
			}
		})
	}
}

func TestPublicJWKRefuses(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  any
		alg  string
		want error
	}{
		{"p384", &p384.PublicKey, "", ErrAlgNotAllowed},
		{"rsa", &rsaKey.PublicKey, "", ErrAlgNotAllowed},
		{"ed25519 named ES256", edKey("a").Public(), AlgES256, ErrAlgNotAllowed},
		{"p256 named EdDSA", &ecKey(t, "b").PublicKey, AlgEdDSA, ErrAlgNotAllowed},
		{"short ed25519", ed25519.PublicKey{1, 2, 3}, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PublicJWK(tt.pub, "k", tt.alg)
			wantErr(t, err, tt.want)
		})
	}
}

func TestParsePublicJWK(t *testing.T) {
	ed, err := PublicJWK(edKey("a").Public(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	ec, err := PublicJWK(&ecKey(t, "b").PublicKey, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		json string
		want error
	}{
		{"ed25519", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `"}`, nil},
		{"ed25519 with alg and kid", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","alg":"EdDSA","kid":"r1","use":"sig"}`, nil},
		{"p256", `{"kty":"EC","crv":"P-256","x":"` + ec.X + `","y":"` + ec.Y + `"}`, nil},
		{"private part", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","d":"` + ed.X + `"}`, ErrPrivateKey},
		{"symmetric", `{"kty":"oct","k":"c2VjcmV0"}`, ErrPrivateKey},
		{"alg disagrees", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","alg":"ES256"}`, ErrAlgNotAllowed},
		{"alg HS256", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","alg":"HS256"}`, ErrAlgNotAllowed},
		{"rsa", `{"kty":"RSA","n":"AQAB","e":"AQAB"}`, ErrAlgNotAllowed},
		{"x448", `{"kty":"OKP","crv":"X448","x":"` + ed.X + `"}`, ErrAlgNotAllowed},
		{"x padded", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `="}`, ErrMalformed},
		{"x std alphabet", `{"kty":"OKP","crv":"Ed25519","x":"` + stdAlphabet(ed.X) + `"}`, ErrMalformed},
		{"x short", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X[1:] + `"}`, ErrMalformed},
		{"y on okp", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","y":"` + ed.X + `"}`, ErrMalformed},
		{"p256 off curve", `{"kty":"EC","crv":"P-256","x":"` + ec.X + `","y":"` + ec.X + `"}`, ErrMalformed},
		{"p256 without y", `{"kty":"EC","crv":"P-256","x":"` + ec.X + `"}`, ErrMalformed},
		{"duplicate x", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `","x":"` + ed.X + `"}`, ErrMalformed},
		{"key case", `{"KTY":"OKP","crv":"Ed25519","x":"` + ed.X + `"}`, ErrAlgNotAllowed},
		{"trailing", `{"kty":"OKP","crv":"Ed25519","x":"` + ed.X + `"} {}`, ErrMalformed},
		{"not json", `kty=OKP`, ErrMalformed},
		{"array", `[]`, ErrMalformed},
		{"empty", ``, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePublicJWK([]byte(tt.json))
			wantErr(t, err, tt.want)
		})
	}
}

// stdAlphabet makes sure s holds a character of the standard base64
// alphabet in place of its URL-safe counterpart (or of its first character).
func stdAlphabet(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '-':
			b[i] = '+'
			return string(b)
		case '_':
			b[i] = '/'
			return string(b)
		}
	}
	b[0] = '+'
	return string(b)
}

func TestThumbprint(t *testing.T) {
	tests := []struct {
		name string
		jwk  JWK
		want string
	}{
		// RFC 8037 Appendix A.3.
		{"rfc8037", JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
		// kid, alg and the window are not part of it.
		{"rfc8037 with kid", JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", Kid: "x", Alg: "EdDSA", EXP: 9}, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
		// RFC 7638 §3.1 uses RSA; this EC value was computed with Python's hashlib over the canonical form.
		{"unknown kty", JWK{Kty: "RSA"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.jwk.Thumbprint(); got != tt.want {
				t.Fatalf("Thumbprint = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewSigner(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     crypto.Signer
		wantAlg string
		want    error
	}{
		{"ed25519", edKey("a"), AlgEdDSA, nil},
		{"p256", ecKey(t, "b"), AlgES256, nil},
		{"p384", p384, "", ErrAlgNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner("k", tt.key)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if s.Alg() != tt.wantAlg || s.PublicJWK().Alg != tt.wantAlg || s.PublicJWK().Kid != "k" {
				t.Fatalf("alg %q, jwk %+v; want alg %q kid k", s.Alg(), s.PublicJWK(), tt.wantAlg)
			}
		})
	}
	if _, err := NewSigner("k", nil); !errors.Is(err, ErrAlgNotAllowed) {
		t.Fatalf("nil key: err = %v", err)
	}
}
