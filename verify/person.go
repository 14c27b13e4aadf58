package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashPerson computes PersonHash for (iss, sub): the first 16 bytes of
// SHA-256(iss ‖ 0x00 ‖ sub). The zero byte keeps ("45", "0001") and
// ("450", "001") apart.
func HashPerson(iss, sub string) PersonHash {
	h := sha256.New()
	h.Write([]byte(iss))
	h.Write([]byte{0})
	h.Write([]byte(sub))
	var sum [sha256.Size]byte
	var p PersonHash
	copy(p[:], h.Sum(sum[:0]))
	return p
}

// String is the lowercase hex form used in feeds and reports.
func (p PersonHash) String() string { return hex.EncodeToString(p[:]) }

// ParsePersonHash reads the lowercase hex form (exactly 32 characters;
// upper case is refused so that one person has one spelling).
func ParsePersonHash(s string) (PersonHash, error) {
	var p PersonHash
	if len(s) != 2*len(p) {
		return p, fmt.Errorf("person hash: %w: %d characters, want 32", ErrMalformed, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return p, fmt.Errorf("person hash: %w: not lowercase hex", ErrMalformed)
		}
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return p, fmt.Errorf("person hash: %w: %w", ErrMalformed, err)
	}
	return p, nil
}
