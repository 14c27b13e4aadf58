package verify

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithms the protocol allows. Everything else (none, HS*, RS*, PS*,
// ES384, …) is refused before any key is looked at.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
)

// Size limits of the compact serialization, checked before decoding.
const (
	// MaxHeader is the largest encoded JOSE header accepted.
	MaxHeader = 512
	// MaxTrustListSize is the largest trust-list JWS accepted.
	MaxTrustListSize = 8 << 20
	// MaxFeedSize is the largest revocation-feed JWS accepted.
	MaxFeedSize = 256 << 20
)

// sigSize is the JWS signature length for both EdDSA and ES256 (r ‖ s).
const sigSize = 64

var b64 = base64.RawURLEncoding.Strict()

// b64url marks the bytes of the base64url alphabet. Go's decoder skips CR
// and LF even in Strict mode, so the alphabet is checked here first.
var b64url = func() (t [256]bool) {
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[r] = true
	}
	return t
}()

// jws is one compact JWS split and decoded, its signature not yet checked.
type jws struct {
	alg, typ, kid string
	payload       []byte
	sig           []byte
	signingInput  string // header.payload as received
}

// parseJWS splits and decodes a compact JWS strictly: exactly three
// segments of unpadded base64url with no stray characters and canonical
// trailing bits; a header that is a JSON object of at most MaxHeader
// encoded characters, with alg EdDSA or ES256 (ErrAlgNotAllowed
// otherwise), typ equal to wantTyp (ErrWrongType) and no crit (no
// extension is understood, so any crit is refused). It does not interpret
// the payload.
func parseJWS(tok, wantTyp string, maxLen int) (*jws, error) {
	if len(tok) > maxLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(tok))
	}
	d1 := strings.IndexByte(tok, '.')
	if d1 < 0 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	if d1 > MaxHeader {
		return nil, fmt.Errorf("%w: header of %d characters", ErrTooLarge, d1)
	}
	d2 := d1 + 1 + strings.IndexByte(tok[d1+1:], '.')
	if d2 <= d1 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	for i := 0; i < len(tok); i++ {
		if !b64url[tok[i]] && i != d1 && i != d2 {
			return nil, fmt.Errorf("%w: character %d is not base64url", ErrMalformed, i)
		}
	}
	if d1 == 0 {
		return nil, fmt.Errorf("%w: empty header", ErrMalformed)
	}
	// The header first: its alg decides whether anything else is looked at,
	// so that alg "none" (with its empty signature) is refused as such.
	hdr, err := decodeSeg(make([]byte, b64.DecodedLen(d1)), tok[:d1])
	if err != nil {
		return nil, err
	}
	j := &jws{signingInput: tok[:d2]}
	if err := j.parseHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := methodFor(j.alg); err != nil {
		return nil, err
	}
	if j.typ != wantTyp {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrWrongType, j.typ, wantTyp)
	}
	if d2 == d1+1 {
		return nil, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	pl := b64.DecodedLen(d2 - d1 - 1)
	if sl := b64.DecodedLen(len(tok) - d2 - 1); sl != sigSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, sl)
	}
	buf := make([]byte, pl+sigSize)
	if j.payload, err = decodeSeg(buf[:pl], tok[d1+1:d2]); err != nil {
		return nil, err
	}
	if j.sig, err = decodeSeg(buf[pl:], tok[d2+1:]); err != nil {
		return nil, err
	}
	if len(j.sig) != sigSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(j.sig))
	}
	return j, nil
}

func decodeSeg(dst []byte, s string) ([]byte, error) {
	n, err := b64.Decode(dst, []byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %w", ErrMalformed, err)
	}
	return dst[:n], nil
}

func (j *jws) parseHeader(hdr []byte) error {
	d := decoder{b: hdr}
	var hasAlg bool
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "alg":
			hasAlg = true
			j.alg, err = d.str()
		case "typ":
			j.typ, err = d.str()
		case "kid":
			j.kid, err = d.str()
		case "crit":
			// RFC 7515 §4.1.11: a recipient must refuse a crit naming
			// an extension it does not understand; we understand none.
			return fmt.Errorf("%w: %w", ErrMalformed, ErrCritical)
		default:
			err = d.skip()
		}
		return err
	})
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if !hasAlg {
		return fmt.Errorf("%w: header without alg", ErrMalformed)
	}
	return nil
}

// methodFor gives jwt's signing method for an allowed alg.
func methodFor(alg string) (jwt.SigningMethod, error) {
	switch alg {
	case AlgEdDSA:
		return jwt.SigningMethodEdDSA, nil
	case AlgES256:
		return jwt.SigningMethodES256, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrAlgNotAllowed, alg)
}
