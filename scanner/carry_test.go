package scanner

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// stepClock is a fake clock that moves a millisecond each time it is
// read: the decoder's budget becomes a count of its clock reads, the same
// on every run and under the race detector.
func stepClock() func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time {
		t = t.Add(time.Millisecond)
		return t
	}
}

// framesToRead decodes m as up to n frames of one presentation with a
// budget of b clock reads, carrying or not, and returns the 1-based frame
// that read text (0: none did).
func framesToRead(m gocv.Mat, text string, b, n int, carrying bool) int {
	d := NewDecoder(WithBudget(time.Duration(b)*time.Millisecond), WithClock(stepClock()))
	var carry *Carry
	if carrying {
		carry = &Carry{}
	}
	for i := 1; i <= n; i++ {
		codes, _ := d.DecodeFrame(m, carry)
		for _, c := range codes {
			if c.Text == text {
				return i
			}
		}
	}
	return 0
}

// TestCarryOverFrames: a blurred, tilted phone that only a later region
// pass reads. At every budget, carrying the unfinished region to the next
// frame reads it whenever decoding each frame afresh does, never later;
// and at some budgets, too small for that pass within one frame, only the
// carrying decoder reads it, a frame or two later.
func TestCarryOverFrames(t *testing.T) {
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 200, Y: 120}, {X: 440, Y: 136}, {X: 430, Y: 372}, {X: 196, Y: 358}}
	frame := blurredPhone(t, text, to)
	defer frame.Close()

	const frames = 4
	if got := framesToRead(frame, text, 0, 1, false); got != 1 {
		t.Fatal("without a budget the frame does not read: the test needs a readable code")
	}
	helped := 0
	for b := 4; b <= 60; b += 2 {
		fresh := framesToRead(frame, text, b, frames, false)
		carried := framesToRead(frame, text, b, frames, true)
		if fresh != 0 && (carried == 0 || carried > fresh) {
			t.Errorf("budget of %d clock reads: read on frame %d afresh, %d carrying", b, fresh, carried)
		}
		if fresh == 0 && carried != 0 {
			helped++
		}
	}
	if helped == 0 {
		t.Error("at no budget did carrying read what fresh frames could not")
	}
}

// TestCarryRegions: what a frame carries is the unread regions with the
// passes they had, found again where the phone still is (moved or resized
// by less than a quarter), not where it moved to; a region read, beyond
// reading, never tried, or through every pass is not carried. Every other
// frame resumes, the ones between start afresh and keep the progress.
func TestCarryRegions(t *testing.T) {
	at := func(x, y, side float32) quad {
		return quad{{X: x, Y: y}, {X: x + side, Y: y}, {X: x + side, Y: y + side}, {X: x, Y: y + side}}
	}
	var c Carry
	c.begin() // frame 1: afresh
	if got := c.resume(at(100, 100, 200)); got != 0 {
		t.Fatalf("first frame: resume = %d, want 0", got)
	}
	c.keep([]*regionCrop{
		{q: at(100, 100, 200), tried: 3},
		{q: at(500, 100, 100), tried: 2, done: true},
		{q: at(500, 400, 100), tried: 0},
		{q: at(900, 100, 100), tried: nRegionPasses},
	})
	c.begin() // frame 2: resumes
	tests := []struct {
		name string
		q    quad
		want int
	}{
		{"same place", at(100, 100, 200), 3},
		{"moved a little", at(130, 110, 210), 3},
		{"moved away", at(220, 100, 200), 0},
		{"much larger", at(100, 100, 300), 0},
		{"the read one", at(500, 100, 100), 0},
		{"the untried one", at(500, 400, 100), 0},
		{"the one through every pass", at(900, 100, 100), 0},
	}
	for _, tc := range tests {
		if got := c.resume(tc.q); got != tc.want {
			t.Errorf("%s: resume = %d, want %d", tc.name, got, tc.want)
		}
	}
	c.keep([]*regionCrop{{q: at(100, 100, 200), tried: 5}})
	c.begin() // frame 3: afresh, and it gets no further than 2
	if got := c.resume(at(100, 100, 200)); got != 0 {
		t.Errorf("third frame: resume = %d, want 0 (afresh)", got)
	}
	c.keep([]*regionCrop{{q: at(100, 100, 200), tried: 2}})
	c.begin() // frame 4: resumes where frame 2 stopped
	if got := c.resume(at(100, 100, 200)); got != 5 {
		t.Errorf("fourth frame: resume = %d, want 5", got)
	}
	c.Reset()
	c.begin()
	c.begin()
	if got := c.resume(at(100, 100, 200)); got != 0 {
		t.Errorf("after Reset: resume = %d, want 0", got)
	}
	var none *Carry
	none.begin()
	none.keep([]*regionCrop{{q: at(0, 0, 100), tried: 2}})
	if got := none.resume(at(0, 0, 100)); got != 0 {
		t.Errorf("nil carry: resume = %d", got)
	}
}

// TestCarryAfterMotion: a phone still moving (a frame blurred past
// reading) then held still (sharp frames) at the same place: the carried
// progress of the blurred frame costs the sharp code at most one frame,
// because every other frame starts afresh.
func TestCarryAfterMotion(t *testing.T) {
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 200, Y: 120}, {X: 440, Y: 136}, {X: 430, Y: 372}, {X: 196, Y: 358}}
	sharp := tiltedFrame(t, text, 640, 480, to, 20, 235)
	defer sharp.Close()
	moving := gocv.NewMat()
	defer moving.Close()
	gocv.GaussianBlur(sharp, &moving, image.Pt(0, 0), 4, 4, gocv.BorderReplicate)

	reads := func(d *Decoder, m gocv.Mat, c *Carry) bool {
		codes, _ := d.DecodeFrame(m, c)
		return len(codes) == 1 && codes[0].Text == text
	}
	tested := 0
	for b := 20; b <= 60; b += 10 {
		d := NewDecoder(WithBudget(time.Duration(b)*time.Millisecond), WithClock(stepClock()))
		if !reads(d, sharp, nil) {
			continue // this budget reads no sharp frame at all
		}
		tested++
		var c Carry
		if reads(d, moving, &c) {
			t.Fatalf("budget %d: the blurred frame reads: the test needs a blurrier one", b)
		}
		if !reads(d, sharp, &c) && !reads(d, sharp, &c) {
			t.Errorf("budget of %d clock reads: two sharp frames after a blurred one read nothing", b)
		}
	}
	if tested == 0 {
		t.Fatal("no budget reads the sharp frame: the test needs other budgets")
	}
}
