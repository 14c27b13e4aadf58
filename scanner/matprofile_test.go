//go:build matprofile

package scanner

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks runs every path that makes Mats (sources, decoding,
// DecodeFile, WriteVideo) over thousands of frames and checks with gocv's
// Mat profile that every Mat made was closed. Run with -tags matprofile.
func TestNoMatLeaks(t *testing.T) {
	start := gocv.MatProfile.Count()
	report := func(when string) {
		t.Helper()
		if n := gocv.MatProfile.Count() - start; n != 0 {
			var b bytes.Buffer
			_ = gocv.MatProfile.WriteTo(&b, 1)
			t.Fatalf("%s: %d Mats not closed:\n%s", when, n, b.String())
		}
	}

	// A video of thousands of frames: codes, blanks, dark mode.
	dark := mustRender(t, "dark", 4).(*image.Gray)
	for i := range dark.Pix {
		dark.Pix[i] = 255 - dark.Pix[i]
	}
	codes := []image.Image{mustRender(t, "leak check one", 3), dark, mustRender(t, "leak check two", 2)}
	var frames []image.Image
	for len(frames) < leakFrames {
		frames = append(frames, Presentations(320, 240, codes, 40, 20)...)
	}
	path := filepath.Join(t.TempDir(), "leak.avi")
	if err := WriteVideo(path, 30, frames); err != nil {
		t.Fatal(err)
	}
	report("WriteVideo")

	dec := NewDecoder()
	n := 0
	if err := DecodeFile(context.Background(), dec, path, func(FrameCodes) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n < leakFrames {
		t.Fatalf("read %d frames back, want ≥ %d", n, leakFrames)
	}
	report("DecodeFile")

	for _, spec := range []string{"file:" + path, "file:testdata/hello.png", "images:testdata"} {
		src, err := OpenSource(spec, SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc := NewScanner(src, dec, ScannerOptions{OnFrame: func(Preview) {}})
		for {
			_, err := sc.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		sc.Close()
		report(spec)
	}

	for _, bad := range []string{"file:testdata/truncated.png", "file:testdata/notimage.txt", "camera:/dev/nope-video"} {
		if _, err := OpenSource(bad, SourceOptions{}); err == nil {
			t.Fatalf("%s opened", bad)
		}
		report(bad)
	}

	m := gocv.IMRead("testdata/triggeringImage1567.jpg", gocv.IMReadColor)
	for i := 0; i < 3; i++ {
		_, _ = dec.DecodeMat(m)
		_, _ = NewDecoder(WithMaxSide(4000)).DecodeMat(m)
	}
	m.Close()
	report("negative photo")

	// Harmed frames that only the region passes read (warped, enlarged,
	// sharpened, every crop preparation), in the camera's configuration
	// and without a budget; the frame made here is the test's own.
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 200, Y: 120}, {X: 440, Y: 126}, {X: 436, Y: 362}, {X: 196, Y: 358}}
	blurred := tiltedFrame(t, text, 640, 480, to, 20, 235)
	gocv.GaussianBlur(blurred, &blurred, image.Pt(0, 0), 1.3, 1.3, gocv.BorderReplicate)
	offline := NewDecoder(WithBudget(0))
	read := 0
	for i := 0; i < 20; i++ {
		for _, d := range []*Decoder{dec, offline} {
			if codes, _ := d.DecodeMat(blurred); len(codes) == 1 && codes[0] == text {
				read++
			}
		}
	}
	// Blurred past reading: every pass runs and fails.
	gocv.GaussianBlur(blurred, &blurred, image.Pt(0, 0), 4, 4, gocv.BorderReplicate)
	for i := 0; i < 5; i++ {
		_, _ = offline.DecodeMat(blurred)
	}
	blurred.Close()
	if read == 0 {
		t.Error("the blurred frame never read: the region passes did not run")
	}
	report("region passes")
}
