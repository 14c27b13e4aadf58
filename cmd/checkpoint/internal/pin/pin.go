// Package pin guards the operator's settings and exports behind a PIN: the
// PIN is stored only as an Argon2id hash (slow on purpose, so a hash copied
// off a stolen kiosk does not give up a six-digit PIN in seconds), and
// Guard slows down guessing at the keypad. The scan loop never asks for it.
//
// The encoded form is the PHC string format, so the cost can be raised later
// without breaking stored hashes:
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt, base64>$<hash, base64>
package pin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// Cost of a new hash: 64 MiB, 3 passes, 2 lanes (RFC 9106's second
// recommended option): about 0.56 s per check on a 2-core machine (see
// docs/benchmarks.md), so trying all million six-digit PINs against a stolen
// hash costs about a week of one such machine.
const (
	memoryKiB = 64 * 1024
	passes    = 3
	lanes     = 2
	saltLen   = 16
	keyLen    = 32
)

// PIN length limits: digits only, typed on the same numeric keypad.
const (
	MinLen = 6
	MaxLen = 12
)

// Check says whether a new PIN is acceptable: MinLen–MaxLen digits, not one
// digit repeated, not a straight run like 123456.
func Check(pin string) error {
	if len(pin) < MinLen || len(pin) > MaxLen {
		return fmt.Errorf("%w: %d to %d digits", ErrWeakPIN, MinLen, MaxLen)
	}
	for _, r := range pin {
		if !unicode.IsDigit(r) || r > '9' {
			return fmt.Errorf("%w: digits only", ErrWeakPIN)
		}
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	if same || up || down {
		return fmt.Errorf("%w: too easy to guess", ErrWeakPIN)
	}
	return nil
}

// Hash checks pin and returns its encoded Argon2id hash.
func Hash(pin string) (string, error) {
	if err := Check(pin); err != nil {
		return "", err
	}
	return hash(pin, memoryKiB, passes, lanes)
}

// hash encodes pin at the given cost; tests of what surrounds the KDF use a
// cheap one.
func hash(pin string, memoryKiB, passes uint32, lanes uint8) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("pin: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, passes, memoryKiB, lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pin matches the encoded hash: nil when it does,
// ErrWrongPIN when it does not, ErrBadHash when encoded is not a hash this
// package made.
func Verify(pin, encoded string) error {
	p, err := decode(encoded)
	if err != nil {
		return err
	}
	key := argon2.IDKey([]byte(pin), p.salt, p.passes, p.memory, p.lanes, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(key, p.key) != 1 {
		return ErrWrongPIN
	}
	return nil
}

type params struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

// Bounds on what a stored hash may ask for, so a tampered file cannot make
// Verify allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxPasses    = 16
)

func decode(encoded string) (params, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return params{}, fmt.Errorf("%w: not an argon2id PHC string", ErrBadHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return params{}, fmt.Errorf("%w: version %q", ErrBadHash, parts[2])
	}
	var p params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.passes, &p.lanes); err != nil {
		return params{}, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	if p.memory < 8*uint32(p.lanes) || p.memory > maxMemoryKiB || p.passes < 1 || p.passes > maxPasses || p.lanes < 1 {
		return params{}, fmt.Errorf("%w: parameters out of range", ErrBadHash)
	}
	var err error
	b64 := base64.RawStdEncoding
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return params{}, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return params{}, fmt.Errorf("%w: hash", ErrBadHash)
	}
	return p, nil
}
