package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
)

// ParsePublicJWK reads one public JWK (JSON), e.g. the trust root a
// terminal pins. It refuses a JWK carrying a private part ("d"), a key
// type other than Ed25519 or P-256, an alg that does not fit the key, and
// anything that is not strict JSON.
func ParsePublicJWK(data []byte) (JWK, error) {
	d := decoder{b: data}
	k, err := d.jwk()
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return JWK{}, fmt.Errorf("jwk: %w", err)
	}
	if _, err := k.PublicKey(); err != nil {
		return JWK{}, err
	}
	return k, nil
}

// jwk reads a JWK object.
func (d *decoder) jwk() (JWK, error) {
	var k JWK
	err := d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "kty":
			k.Kty, err = d.str()
		case "crv":
			k.Crv, err = d.str()
		case "x":
			k.X, err = d.str()
		case "y":
			k.Y, err = d.str()
		case "kid":
			k.Kid, err = d.str()
		case "alg":
			k.Alg, err = d.str()
		case "nbf":
			k.NBF, err = d.date()
		case "exp":
			k.EXP, err = d.date()
		case "d", "p", "q", "dp", "dq", "qi", "k":
			// A private or symmetric key has no business on the wire.
			return fmt.Errorf("%w: %w", ErrMalformed, ErrPrivateKey)
		default:
			err = d.skip()
		}
		return err
	})
	return k, err
}

// keyAlg is the algorithm the key's type implies.
func (k JWK) keyAlg() (string, error) {
	switch {
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		return AlgEdDSA, nil
	case k.Kty == "EC" && k.Crv == "P-256":
		return AlgES256, nil
	}
	return "", fmt.Errorf("%w: key type %q/%q", ErrAlgNotAllowed, k.Kty, k.Crv)
}

// algorithm is the alg this key verifies: its alg member, which must agree
// with its type, or the one its type implies when alg is absent.
func (k JWK) algorithm() (string, error) {
	a, err := k.keyAlg()
	if err != nil {
		return "", err
	}
	if k.Alg != "" && k.Alg != a {
		return "", fmt.Errorf("%w: alg %q on a %s key", ErrAlgNotAllowed, k.Alg, k.Crv)
	}
	return a, nil
}

// PublicKey returns the ed25519.PublicKey or *ecdsa.PublicKey the JWK holds.
// An alg member that does not fit the key type is refused (ErrAlgNotAllowed);
// a coordinate of the wrong size or a point off the curve is ErrMalformed.
func (k JWK) PublicKey() (crypto.PublicKey, error) {
	alg, err := k.algorithm()
	if err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	switch alg {
	case AlgEdDSA:
		if k.Y != "" {
			return nil, fmt.Errorf("jwk: %w: y on an OKP key", ErrMalformed)
		}
		x, err := coord(k.X, ed25519.PublicKeySize)
		if err != nil {
			return nil, err
		}
		return ed25519.PublicKey(x), nil
	default: // AlgES256
		x, err := coord(k.X, 32)
		if err != nil {
			return nil, err
		}
		y, err := coord(k.Y, 32)
		if err != nil {
			return nil, err
		}
		pt := make([]byte, 0, 65)
		pt = append(append(append(pt, 4), x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			return nil, fmt.Errorf("jwk: %w: %w", ErrMalformed, err)
		}
		return pub, nil
	}
}

func coord(s string, n int) ([]byte, error) {
	if len(s) != b64.EncodedLen(n) {
		return nil, fmt.Errorf("jwk: %w: coordinate of %d characters, want %d", ErrMalformed, len(s), b64.EncodedLen(n))
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("jwk: %w: coordinate not base64url", ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if !b64url[s[i]] {
			return nil, fmt.Errorf("jwk: %w: coordinate not base64url", ErrMalformed)
		}
	}
	return b, nil
}

// PublicJWK makes the JWK of a public key (ed25519.PublicKey or
// *ecdsa.PublicKey P-256). alg may be empty (the key type implies it) or
// must fit the key.
func PublicJWK(pub crypto.PublicKey, kid, alg string) (JWK, error) {
	var k JWK
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return JWK{}, fmt.Errorf("jwk: %w: ed25519 key of %d bytes", ErrMalformed, len(p))
		}
		k = JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(p)}
	case *ecdsa.PublicKey:
		if p == nil || p.Curve != elliptic.P256() {
			return JWK{}, fmt.Errorf("jwk: %w: ecdsa key not on P-256", ErrAlgNotAllowed)
		}
		b, err := p.Bytes()
		if err != nil {
			return JWK{}, fmt.Errorf("jwk: %w: %w", ErrMalformed, err)
		}
		k = JWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(b[1:33]), Y: b64.EncodeToString(b[33:])}
	default:
		return JWK{}, fmt.Errorf("jwk: %w: key type %T", ErrAlgNotAllowed, pub)
	}
	k.Kid, k.Alg = kid, alg
	if _, err := k.algorithm(); err != nil {
		return JWK{}, fmt.Errorf("jwk: %w", err)
	}
	return k, nil
}

// SameKey says whether k and o hold the same public key, whatever their
// kid, alg and validity members say (a root pinned by hand and the same
// root announced in a trust list may differ there).
func (k JWK) SameKey(o JWK) bool {
	return k.Kty == o.Kty && k.Crv == o.Crv && k.X == o.X && k.Y == o.Y
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url. It covers only
// the key's required members (not kid, alg or the validity window); it is
// empty for a JWK of a type the protocol does not know.
func (k JWK) Thumbprint() string {
	var canon []byte
	switch k.Kty {
	case "OKP":
		canon = appendJSONMembers(nil, "crv", k.Crv, "kty", k.Kty, "x", k.X)
	case "EC":
		canon = appendJSONMembers(nil, "crv", k.Crv, "kty", k.Kty, "x", k.X, "y", k.Y)
	default:
		return ""
	}
	sum := sha256.Sum256(canon)
	return b64.EncodeToString(sum[:])
}

// appendJSONMembers writes {"k1":"v1",…} in the order given, the form
// RFC 7638 hashes (no whitespace; members sorted by the caller).
func appendJSONMembers(b []byte, kv ...string) []byte {
	b = append(b, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, kv[i])
		b = append(b, ':')
		b = appendJSONString(b, kv[i+1])
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string, escaping only what JSON
// requires (quote, backslash, control characters); UTF-8 stays as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
