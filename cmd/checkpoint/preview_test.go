package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"yanma/scanner"
	"yanma/verify"
)

// needTool finds a program the test drives. CI installs them (make test
// runs scripts/deps.sh test), so there a missing one fails the test; on a
// developer's machine without it the test says what to install.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: CI must install %s (scripts/deps.sh test)", name, pkg)
	}
	t.Skipf("%s not found: apt-get install %s (make test does)", name, pkg)
	return ""
}

// startXvfb starts a virtual X server and returns its DISPLAY. Xvfb picks
// the display number itself (-displayfd: the first one free, said on a
// pipe), so no guess races another test run's server or trips over the
// socket of one that was killed; and it is stopped with SIGTERM, so that it
// removes its socket and lock file (SIGKILL left them in /tmp, one per run,
// until no number was free).
func startXvfb(t *testing.T) string {
	t.Helper()
	bin := needTool(t, "Xvfb", "xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "800x600x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3 in Xvfb
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute): // bounds a hang; not a measurement
			cmd.Process.Kill()
			<-exited
		}
	})
	r.SetReadDeadline(time.Now().Add(time.Minute)) // bounds a hang; not a measurement
	n, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not come up: %v", err)
	}
	return ":" + strings.TrimSpace(n)
}

// TestPreviewWindow runs `checkpoint run --preview` under Xvfb on a video of
// a red code and takes screenshots of the screen while the verdict stands:
// one must show the window framed in red.
func TestPreviewWindow(t *testing.T) {
	disp := startXvfb(t)
	xwd := needTool(t, "xwd", "x11-apps")
	t.Setenv("DISPLAY", disp)

	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	red := issue(t, up, "preview-red", verify.Red)
	qr, err := scanner.RenderQR(red, 3)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(t.TempDir(), "red.avi")
	if err := scanner.WriteVideo(video, 10, scanner.Presentations(640, 480, []image.Image{qr}, 10, 0)); err != nil {
		t.Fatal(err)
	}

	// The kiosk opens its window once per process, and OpenCV's Qt window
	// system serves only the OS thread that first used it: a second window
	// in one process (go test -count=2) would wait forever. So the run is a
	// child process of its own, this test binary acting as checkpoint.
	cmd := exec.Command(os.Args[0], "--data", term.dataDir, "--upstream", term.url, "--lang", "en", "--log-level", "warn",
		"run", "--offline", "--preview", "--hold", "4s", "--ui", "json", "--source", "file:"+video)
	cmd.Env = append(os.Environ(), "YANMA_TEST_AS_CHECKPOINT=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
	}()

	var best float64
	var shot image.Image
	deadline := time.After(time.Minute)
loop:
	for {
		select {
		case err := <-done:
			exited = true
			if err != nil {
				t.Fatalf("run --preview: %v\n%s", err, stderr.String())
			}
			break loop
		case <-deadline:
			t.Fatal("run --preview did not end")
		case <-time.After(200 * time.Millisecond):
		}
		out, err := exec.Command(xwd, "-root", "-silent", "-display", disp).Output()
		if err != nil {
			continue // the window may be mapping
		}
		img, err := decodeXWD(out)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if f := redShare(img); f > best || shot == nil {
			best, shot = f, img
		}
	}
	if shot != nil {
		if f, err := os.Create(filepath.Join(os.TempDir(), "yanma-preview.png")); err == nil {
			png.Encode(f, shot)
			f.Close()
			t.Logf("best screenshot (%.1f%% red) in %s", best*100, f.Name())
		}
	}
	if best == 0 || !redFrame(shot) {
		t.Fatalf("no screenshot shows the picture framed in red (best red share %.2f%%; see %s)", best*100, filepath.Join(os.TempDir(), "yanma-preview.png"))
	}
}

// redShare is the share of pixels that are strongly red.
func redShare(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 180 && g>>8 < 60 && bl>>8 < 60 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// redFrame reports whether the red pixels form a frame: a box of a real size
// whose left and right edges are red over most of their height.
func redFrame(img image.Image) bool {
	b := img.Bounds()
	isRed := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return r>>8 > 180 && g>>8 < 60 && bl>>8 < 60
	}
	box := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isRed(x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Dx() < 160 || box.Dy() < 120 {
		return false
	}
	edge := func(x int) bool {
		n := 0
		for y := box.Min.Y; y < box.Max.Y; y++ {
			if isRed(x, y) {
				n++
			}
		}
		return n*10 >= box.Dy()*8
	}
	return edge(box.Min.X+2) && edge(box.Max.X-3)
}

// decodeXWD reads the ZPixmap, 24/32-bit TrueColor dumps that `xwd -root`
// writes of an Xvfb screen (X Window Dump format, version 7).
func decodeXWD(b []byte) (image.Image, error) {
	if len(b) < 100 {
		return nil, fmt.Errorf("xwd: short header")
	}
	u := func(i int) uint32 { return binary.BigEndian.Uint32(b[i*4:]) }
	headerSize, version, format := u(0), u(1), u(2)
	width, height := int(u(4)), int(u(5))
	byteOrder, bpp, bpl := u(7), u(11), int(u(12))
	ncolors := int(u(19))
	if version != 7 || format != 2 || (bpp != 32 && bpp != 24) {
		return nil, fmt.Errorf("xwd: unsupported dump (version %d, format %d, %d bpp)", version, format, bpp)
	}
	off := int(headerSize) + ncolors*12
	if off+bpl*height > len(b) || width <= 0 || height <= 0 {
		return nil, fmt.Errorf("xwd: truncated")
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	step := int(bpp / 8)
	for y := 0; y < height; y++ {
		row := b[off+y*bpl:]
		for x := 0; x < width; x++ {
			p := row[x*step:]
			var r, g, bl byte
			if byteOrder == 0 { // LSBFirst: B G R [X]
				bl, g, r = p[0], p[1], p[2]
			} else if step == 4 {
				r, g, bl = p[1], p[2], p[3]
			} else {
				r, g, bl = p[0], p[1], p[2]
			}
			img.SetRGBA(x, y, color.RGBA{R: r, G: g, B: bl, A: 255})
		}
	}
	return img, nil
}
