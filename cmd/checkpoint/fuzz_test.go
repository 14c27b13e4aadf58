package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReadInputLine: whatever a keyboard, a scanner gun or a pipe sends,
// readInputLine yields exactly the input's lines, split at LF, a CR before
// it dropped, a last line without LF kept, and every line longer than the
// limit reported as long without its text; then io.EOF. Memory stays
// bounded by the reader's buffer and the limit.
func FuzzReadInputLine(f *testing.F) {
	for _, seed := range []string{"", "a", "ab\r\n", "\n\n", "x\r\r\n", strings.Repeat("y", 70) + "\nz", "\r", "36.5\r\n" + strings.Repeat("q", 17)} {
		f.Add([]byte(seed), uint8(8))
	}
	f.Fuzz(func(t *testing.T, in []byte, lim uint8) {
		limit := 1 + int(lim)%40
		type line struct {
			text string
			long bool
		}
		var want []line
		segs := bytes.Split(in, []byte("\n"))
		if len(segs[len(segs)-1]) == 0 {
			segs = segs[:len(segs)-1] // input ended with LF, or was empty
		}
		for _, s := range segs {
			if len(s) > limit {
				want = append(want, line{long: true})
			} else {
				want = append(want, line{text: strings.TrimRight(string(s), "\r")})
			}
		}
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		for i, w := range want {
			text, long, err := readInputLine(br, limit)
			if err != nil || text != w.text || long != w.long {
				t.Fatalf("line %d: %q long=%t err=%v, want %q long=%t", i, text, long, err, w.text, w.long)
			}
		}
		if _, _, err := readInputLine(br, limit); !errors.Is(err, io.EOF) {
			t.Fatalf("after %d lines: %v, want io.EOF", len(want), err)
		}
	})
}
