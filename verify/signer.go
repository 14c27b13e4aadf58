package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signer signs protocol artefacts (credentials, trust lists, feeds) with one key.
// It is safe for concurrent use.
type Signer struct {
	kid    string
	alg    string
	key    crypto.Signer
	method jwt.SigningMethod
	pub    JWK
}

// NewSigner wraps an ed25519.PrivateKey (alg EdDSA) or a P-256
// *ecdsa.PrivateKey (alg ES256). Any crypto.Signer whose public key is
// Ed25519 works too (an HSM, say); ECDSA needs the *ecdsa.PrivateKey.
func NewSigner(kid string, key crypto.Signer) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("signer: %w: no key", ErrAlgNotAllowed)
	}
	s := &Signer{kid: kid, key: key}
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		s.alg, s.method = AlgEdDSA, jwt.SigningMethodEdDSA
	case *ecdsa.PublicKey:
		if _, ok := key.(*ecdsa.PrivateKey); !ok || pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("signer: %w: ECDSA needs a P-256 *ecdsa.PrivateKey", ErrAlgNotAllowed)
		}
		s.alg, s.method = AlgES256, jwt.SigningMethodES256
	default:
		return nil, fmt.Errorf("signer: %w: key type %T", ErrAlgNotAllowed, pub)
	}
	pub, err := PublicJWK(key.Public(), kid, s.alg)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	s.pub = pub
	return s, nil
}

// PublicJWK is the signer's public key with kid and alg set.
func (s *Signer) PublicJWK() JWK { return s.pub }

// Kid is the key id the signer puts in every header.
func (s *Signer) Kid() string { return s.kid }

// Alg is the signer's algorithm, AlgEdDSA or AlgES256.
func (s *Signer) Alg() string { return s.alg }

// Sign makes a compact JWS with header {alg, typ, kid} over claims
// (marshalled as JSON with encoding/json; a []byte or json.RawMessage is
// taken as the JSON itself, compacted). Non-ASCII text is written as UTF-8,
// not \u-escaped, and <, >, & are not escaped: every byte counts in a QR.
func (s *Signer) Sign(typ string, claims any) (string, error) {
	payload, err := marshalCompact(claims)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	hdr := appendJSONMembers(make([]byte, 0, 64), "alg", s.alg, "typ", typ, "kid", s.kid)
	if s.kid == "" {
		hdr = appendJSONMembers(hdr[:0], "alg", s.alg, "typ", typ)
	}
	return signCompact(s.method, s.key, hdr, payload)
}

func signCompact(m jwt.SigningMethod, key any, hdr, payload []byte) (string, error) {
	buf := make([]byte, 0, b64.EncodedLen(len(hdr))+b64.EncodedLen(len(payload))+2+b64.EncodedLen(sigSize))
	buf = b64.AppendEncode(buf, hdr)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	sig, err := m.Sign(string(buf), key)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

func marshalCompact(v any) ([]byte, error) {
	var raw []byte
	switch r := v.(type) {
	case json.RawMessage:
		raw = r
	case []byte:
		raw = r
	}
	var out bytes.Buffer
	if raw != nil {
		if err := json.Compact(&out, raw); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// MakeProof makes the holder proof (typ hc-kb+jwt, claims iat and cth) for a
// credential; the QR text is credential + "~" + proof. The header carries
// no kid: the key is the credential's cnf. cth is the short form (see
// CTHSize).
func MakeProof(holder ed25519.PrivateKey, credential string, iat time.Time) (string, error) {
	if len(holder) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("proof: %w: holder key of %d bytes", ErrMalformed, len(holder))
	}
	hdr := appendJSONMembers(nil, "alg", AlgEdDSA, "typ", TypProof)
	payload := make([]byte, 0, 80)
	payload = append(payload, `{"iat":`...)
	payload = strconv.AppendInt(payload, iat.Unix(), 10)
	payload = append(payload, `,"cth":"`...)
	payload = append(payload, credentialHash(credential)...)
	payload = append(payload, `"}`...)
	return signCompact(jwt.SigningMethodEdDSA, holder, hdr, payload)
}

// CTHSize is the number of bytes of SHA-256(credential) that MakeProof
// puts in cth. 16 bytes (128 bits) bind a proof to its credential as
// firmly as needed — only the issuer can make another credential for the
// same holder key, and it would need a second preimage of 128 bits — and
// save 28 QR characters over the full hash, which is what keeps a typical
// bound credential within QR version 20 at level M. Verify accepts the
// full 32-byte form too.
const CTHSize = 16

// credentialHash is cth as MakeProof writes it: base64url (no padding) of
// the first CTHSize bytes of SHA-256 of the credential's ASCII.
func credentialHash(credential string) string {
	sum := sha256.Sum256([]byte(credential))
	return b64.EncodeToString(sum[:CTHSize])
}

// cthMatches reports whether cth names this credential, in the short
// (CTHSize bytes) or the full SHA-256 form.
func cthMatches(cth []byte, credential string) bool {
	sum := sha256.Sum256([]byte(credential))
	var buf [43]byte
	switch len(cth) {
	case b64.EncodedLen(CTHSize):
		b64.Encode(buf[:], sum[:CTHSize])
	case b64.EncodedLen(sha256.Size):
		b64.Encode(buf[:], sum[:])
	default:
		return false
	}
	return subtle.ConstantTimeCompare(cth, buf[:len(cth)]) == 1
}
