package scanner

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// FuzzDecodeScene composes a camera frame from the fuzzer's numbers — the
// frame's size, where the code's four corners land (anywhere, also off the
// frame, crossed or collinear), the screen's dark and light levels, dark
// mode, noise — and decodes it as the camera loop does, twice, the second
// frame carrying on from the first. OpenCV aborts the
// process on a bad argument (a region off the frame, an empty warp), so
// this is what keeps the region finder, the warps and the enlarged boxes
// honest on every geometry: the decoder must answer, never crash, and
// whatever it reads must be the one code in the frame.
func FuzzDecodeScene(f *testing.F) {
	text := readText(f, "jws.txt")
	codeGray := grayMat(f, mustRender(f, text, 4))
	defer codeGray.Close()

	seed := func(w, h uint16, pts [8]int16, lo, hi uint8, dark bool, noise uint8) []byte {
		b := binary.LittleEndian.AppendUint16(nil, w)
		b = binary.LittleEndian.AppendUint16(b, h)
		for _, p := range pts {
			b = binary.LittleEndian.AppendUint16(b, uint16(p))
		}
		d := byte(0)
		if dark {
			d = 1
		}
		return append(b, lo, hi, d, noise)
	}
	f.Add(seed(640, 480, [8]int16{170, 90, 470, 90, 470, 390, 170, 390}, 20, 235, false, 3))     // upright
	f.Add(seed(1280, 720, [8]int16{480, 180, 800, 200, 790, 520, 470, 500}, 30, 220, false, 8))  // tilted
	f.Add(seed(640, 480, [8]int16{300, 200, 490, 204, 487, 392, 297, 389}, 0, 255, true, 0))     // small, dark mode
	f.Add(seed(640, 480, [8]int16{-200, -100, 900, 50, 700, 700, -50, 400}, 40, 200, false, 20)) // off the frame
	f.Add(seed(320, 240, [8]int16{10, 10, 200, 200, 100, 100, 300, 230}, 0, 255, false, 0))      // collinear, crossed
	f.Add(seed(64, 48, [8]int16{0, 0, 63, 0, 63, 47, 0, 47}, 100, 110, false, 50))               // tiny, dim, noisy

	dec := NewDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 24 {
			return
		}
		w := 32 + int(binary.LittleEndian.Uint16(data[0:]))%1400
		h := 32 + int(binary.LittleEndian.Uint16(data[2:]))%1100
		var to [4]gocv.Point2f
		for i := range to {
			to[i] = gocv.Point2f{
				X: float32(int16(binary.LittleEndian.Uint16(data[4+4*i:]))),
				Y: float32(int16(binary.LittleEndian.Uint16(data[6+4*i:]))),
			}
		}
		lo, hi, dark, noise := data[20], data[21], data[22]&1 == 1, data[23]

		screen := gocv.NewMat()
		defer screen.Close()
		codeGray.ConvertToWithParams(&screen, gocv.MatTypeCV8U, float32(int(hi)-int(lo))/255, float32(lo))
		if dark {
			gocv.BitwiseNot(screen, &screen)
		}
		frame := warpOnto(screen, to, w, h, 120)
		defer frame.Close()
		if frame.Empty() {
			return
		}
		if noise > 0 {
			r := rand.New(rand.NewPCG(uint64(noise), uint64(w*h)))
			pix, err := frame.DataPtrUint8()
			if err != nil {
				t.Fatal(err)
			}
			for i := range pix {
				v := int(pix[i]) + int(r.NormFloat64()*float64(noise))
				pix[i] = byte(min(max(v, 0), 255))
			}
		}
		// Two frames of one presentation, as the camera loop decodes them:
		// the second goes on with what the first's budget left (Carry).
		var carry Carry
		for range 2 {
			codes, err := dec.DecodeFrame(frame, &carry)
			if err == nil && len(codes) == 0 {
				t.Fatal("no error and no code")
			}
			for _, c := range codes {
				if c.Text != text {
					t.Fatalf("read %q from a frame whose only code is the test credential", c.Text)
				}
			}
		}
	})
}

// FuzzLineSource feeds a scanner gun's line source any bytes: whatever a
// gun, a noisy serial line or a stuck key sends, the source yields only
// whole, trimmed, non-empty lines of at most maxLine bytes without a CR or
// LF in them, then io.EOF, and never hangs or panics.
func FuzzLineSource(f *testing.F) {
	f.Add([]byte("CODE-1\rCODE-2\r\nCODE-3\n"))
	f.Add([]byte("\r\n\r\n  \n"))
	f.Add([]byte("no end"))
	f.Add(append(bytes.Repeat([]byte("x"), maxLine+3), "\rafter\n"...))
	f.Add([]byte{0, 0xff, '\r', 0x1b, '[', 'A', '\n', 0xe9, 0xaa, 0x8c})
	f.Fuzz(func(t *testing.T, in []byte) {
		src, err := OpenSource("stdin", SourceOptions{Stdin: bytes.NewReader(in)})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a hang; not a measurement
		defer cancel()
		for n := 0; ; n++ {
			fr, err := src.Read(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			if n > len(in) {
				t.Fatalf("%d lines from %d bytes", n, len(in))
			}
			if len(fr.Texts) != 1 {
				t.Fatalf("frame with %d texts", len(fr.Texts))
			}
			line := fr.Texts[0]
			if line == "" || len(line) > maxLine || strings.ContainsAny(line, "\r\n") || strings.TrimSpace(line) != line {
				t.Fatalf("line %q", line)
			}
		}
	})
}
