package verify

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small, strict JSON reader for the protocol's objects.
//
// Why not encoding/json: it matches keys case-insensitively ("ISS" fills
// Iss), keeps the last of duplicate keys, accepts invalid UTF-8 (replacing
// it) and lone surrogates, and has no nesting limit of its own. Each of
// those is a parser differential an attacker can use against a verifier
// that another implementation disagrees with. This reader accepts exactly
// RFC 8259 JSON, valid UTF-8, no duplicate keys in any object (compared
// after unescaping), nesting up to maxDepth, and matches keys exactly.
// It is also allocation-light, which matters on the per-scan path.

// maxDepth bounds object/array nesting. The deepest protocol object (trust
// list → issuers → entry → keys → key) needs 5.
const maxDepth = 16

// errJSON is wrapped (together with ErrMalformed) by every syntax error.
var errJSON = errors.New("invalid json")

type decoder struct {
	b     []byte
	i     int
	depth int
	buf   []byte // scratch for unescaping
	// escaped: the last rawString result is in buf, not a slice of b.
	escaped bool
}

func (d *decoder) fail(what string) error {
	return fmt.Errorf("%w: %w: %s at byte %d", ErrMalformed, errJSON, what, d.i)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// end checks that nothing but whitespace follows the top-level value.
func (d *decoder) end() error {
	d.ws()
	if d.i != len(d.b) {
		return d.fail("trailing data")
	}
	return nil
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// rawString reads a JSON string and returns its unescaped bytes. The slice
// aliases the input when there was nothing to unescape, d.buf otherwise;
// either way it is valid only until the next call.
func (d *decoder) rawString() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.fail("string expected")
	}
	d.i++
	d.escaped = false
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return nil, d.fail("invalid utf-8")
			}
			return s, nil
		case c == '\\':
			return d.slowString(start)
		case c < 0x20:
			return nil, d.fail("control character in string")
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return nil, d.fail("unterminated string")
}

func (d *decoder) slowString(start int) ([]byte, error) {
	d.escaped = true
	out := append(d.buf[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return nil, d.fail("invalid utf-8")
			}
			d.buf = out
			return out, nil
		case c < 0x20:
			return nil, d.fail("control character in string")
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.b) {
			break
		}
		e := d.b[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, d.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by an escaped low one is a character.
				if r >= 0xDC00 || d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
					return nil, d.fail("lone surrogate")
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return nil, d.fail("bad \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, d.fail("lone surrogate")
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, d.fail("bad escape")
		}
	}
	return nil, d.fail("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

func (d *decoder) str() (string, error) {
	s, err := d.rawString()
	return string(s), err
}

// number scans a JSON number and returns its text and whether it is an
// integer (no fraction, no exponent).
func (d *decoder) number() ([]byte, bool, error) {
	d.ws()
	start := d.i
	isInt := true
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && '1' <= d.b[d.i] && d.b[d.i] <= '9':
		for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
			d.i++
		}
	default:
		return nil, false, d.fail("number expected")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		isInt = false
		d.i++
		if !d.digits() {
			return nil, false, d.fail("bad number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		isInt = false
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, false, d.fail("bad number")
		}
	}
	return d.b[start:d.i], isInt, nil
}

func (d *decoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// date reads a NumericDate: a non-negative number of seconds. A fraction
// (RFC 7519 allows one) is truncated.
func (d *decoder) date() (int64, error) {
	n, isInt, err := d.number()
	if err != nil {
		return 0, err
	}
	if isInt {
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || v < 0 {
			return 0, d.fail("date out of range")
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f >= 1<<62 || math.IsNaN(f) {
		return 0, d.fail("date out of range")
	}
	return int64(f), nil
}

// uint reads a non-negative integer.
func (d *decoder) uint() (uint64, error) {
	n, isInt, err := d.number()
	if err != nil {
		return 0, err
	}
	if !isInt {
		return 0, d.fail("integer expected")
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, d.fail("integer out of range")
	}
	return v, nil
}

// smallInt reads a non-negative integer that fits an int32.
func (d *decoder) smallInt() (int, error) {
	v, err := d.uint()
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt32 {
		return 0, d.fail("integer out of range")
	}
	return int(v), nil
}

func (d *decoder) float() (float64, error) {
	n, _, err := d.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return 0, d.fail("number out of range")
	}
	return f, nil
}

func (d *decoder) boolean() (bool, error) {
	d.ws()
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true, nil
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false, nil
	}
	return false, d.fail("boolean expected")
}

// object reads an object, calling fn for each key; fn must consume the
// value (with skip when it does not care). Duplicate keys are refused.
func (d *decoder) object(fn func(key []byte) error) error {
	if d.peek() != '{' {
		return d.fail("object expected")
	}
	if d.depth++; d.depth > maxDepth {
		return d.fail("nesting too deep")
	}
	d.i++
	// Names seen so far: slices of the input (which does not change)
	// where nothing was unescaped, copies otherwise.
	var small [16][]byte
	seen := small[:0]
	var many map[string]struct{}
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		k, err := d.rawString()
		if err != nil {
			return err
		}
		// Keys compare after unescaping: "iss" and "\u0069ss" are the same key.
		if many == nil {
			for _, s := range seen {
				if bytes.Equal(s, k) {
					return d.fail("duplicate key")
				}
			}
			if d.escaped {
				seen = append(seen, bytes.Clone(k))
			} else {
				seen = append(seen, k)
			}
			if len(seen) > len(small) {
				many = make(map[string]struct{}, 2*len(seen))
				for _, s := range seen {
					many[string(s)] = struct{}{}
				}
			}
		} else {
			if _, dup := many[string(k)]; dup {
				return d.fail("duplicate key")
			}
			many[string(k)] = struct{}{}
		}
		if d.peek() != ':' {
			return d.fail("colon expected")
		}
		d.i++
		if err := fn(k); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.fail("comma or } expected")
		}
	}
}

// array reads an array, calling fn to consume each element. null is
// taken as an empty array: Go's encoding/json writes a nil slice so, and
// an issuer written in Go should not trip over that.
func (d *decoder) array(fn func() error) error {
	if d.peek() == 'n' && bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return nil
	}
	if d.peek() != '[' {
		return d.fail("array expected")
	}
	if d.depth++; d.depth > maxDepth {
		return d.fail("nesting too deep")
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.fail("comma or ] expected")
		}
	}
}

// skip validates and discards any value.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		_, err := d.rawString()
		return err
	case c == 't' || c == 'f':
		_, err := d.boolean()
		return err
	case c == 'n':
		if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
			d.i += 4
			return nil
		}
		return d.fail("bad literal")
	default:
		_, _, err := d.number()
		return err
	}
}
