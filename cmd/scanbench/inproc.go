package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner"
	"yanma/scanner/qr"
)

// cmdInproc runs the decoder in this process over a corpus and says, per
// category, how many images it read and what the reads and the misses cost,
// apart from loading the images, with the median decode time of the 720p
// and 640×480 frames: where the peer table's one figure per tool comes from.
//
//	scanbench inproc -dir CORPUS [-budget 25ms] [-only LIST] [-cpuprofile F] [-bare] [-frames N]
//
// -frames N decodes each image as up to N camera frames of one
// presentation (a phone held still), carrying what a frame's budget left
// unfinished to the next (scanner.Carry), until a frame reads a code; the
// CPU counted is all the frames'.
//
// -bare runs, in place of the decoder, one pure-Go pass (scanner/qr: our
// binarizer and gozxing's finder search and decoder, no OpenCV, no
// cascade) on each image at its own size: the least a gozxing read costs,
// to set beside a peer's whole decode.
func cmdInproc(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inproc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "a corpus made by `scanbench gen` (its manifest.json); required")
	budget := fs.Duration("budget", scanner.DefaultBudget, "per-frame budget on this process's CPU clock (0: none)")
	only := fs.String("only", "", "a file listing the images to run, one path per line (relative to -dir or absolute)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run here")
	bare := fs.Bool("bare", false, "one pure-Go gozxing pass per image (scanner/qr, no OpenCV, no cascade) instead of the decoder")
	frames := fs.Int("frames", 1, "decode each image as up to this many frames of one presentation, carrying unfinished regions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("inproc: -dir is required")
	}
	b, err := os.ReadFile(filepath.Join(*dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("inproc: %w", err)
	}
	var samples []sample
	if err := json.Unmarshal(b, &samples); err != nil {
		return fmt.Errorf("inproc: %s: %w", filepath.Join(*dir, "manifest.json"), err)
	}
	if *only != "" {
		keep, err := readList(*only, *dir)
		if err != nil {
			return err
		}
		samples = slices.DeleteFunc(samples, func(s sample) bool { return !keep[abs(s.File)] })
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *frames < 1 {
		return fmt.Errorf("inproc: -frames %d: want at least 1", *frames)
	}
	dec := scanner.NewDecoder(scanner.WithBudget(*budget), scanner.WithClock(processCPU))
	decode := presentation(dec, *frames)
	if *bare {
		decode = barePass
	}
	st, err := runInproc(ctx, decode, samples)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, st.markdown())
	return nil
}

// readList reads the paths of list (relative ones to dir) as absolute paths.
func readList(list, dir string) (map[string]bool, error) {
	b, err := os.ReadFile(list)
	if err != nil {
		return nil, fmt.Errorf("inproc: %w", err)
	}
	keep := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.TrimSpace(line)
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		keep[abs(p)] = true
	}
	return keep, nil
}

// inprocStats is what runInproc measured.
type inprocStats struct {
	cats       []string
	n, read    map[string]int
	readCPU    map[string]time.Duration // decoding the images read
	missCPU    map[string]time.Duration // decoding the images missed
	load       time.Duration
	big, small []time.Duration // decode CPU of each 720p / smaller frame
}

// presentation decodes m as up to frames camera frames of one phone held
// still, with one Carry, and returns the first frame's codes that has any.
func presentation(dec *scanner.Decoder, frames int) func(gocv.Mat) ([]string, error) {
	return func(m gocv.Mat) ([]string, error) {
		var carry scanner.Carry
		for i := 0; ; i++ {
			codes, err := dec.DecodeFrame(m, &carry)
			if err == nil || i == frames-1 || !(errors.Is(err, scanner.ErrNoCode) || errors.Is(err, scanner.ErrBudget)) {
				texts := make([]string, len(codes))
				for i, c := range codes {
					texts[i] = c.Text
				}
				return texts, err
			}
		}
	}
}

// barePass reads the gray frame m with one pass of scanner/qr's default
// options: the cheapest gozxing read there is.
func barePass(m gocv.Mat) ([]string, error) {
	if m.Type() != gocv.MatTypeCV8U || !m.IsContinuous() {
		return nil, fmt.Errorf("frame of type %v: want continuous 8-bit gray", m.Type())
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("frame: %w", err)
	}
	// A view of the Mat's pixels, as the decoder's passes see a frame: no
	// copy counted against the pass.
	g := &image.Gray{Pix: pix, Stride: m.Cols(), Rect: image.Rect(0, 0, m.Cols(), m.Rows())}
	codes, err := qr.Decode(g, qr.Options{})
	if errors.Is(err, qr.ErrNotFound) || errors.Is(err, qr.ErrBudget) {
		return nil, scanner.ErrNoCode
	}
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(codes))
	for i, c := range codes {
		texts[i] = c.Text
	}
	return texts, nil
}

func runInproc(ctx context.Context, decode func(gocv.Mat) ([]string, error), samples []sample) (inprocStats, error) {
	st := inprocStats{n: map[string]int{}, read: map[string]int{}, readCPU: map[string]time.Duration{}, missCPU: map[string]time.Duration{}}
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		t0 := processCPU()
		m := gocv.IMRead(s.File, gocv.IMReadGrayScale)
		t1 := processCPU()
		if m.Empty() {
			m.Close()
			return st, fmt.Errorf("inproc: %s: unreadable", s.File)
		}
		got, err := decode(m)
		t2 := processCPU()
		wide := m.Cols() >= 1280
		m.Close()
		if err != nil && !errors.Is(err, scanner.ErrNoCode) {
			return st, fmt.Errorf("inproc: %s: %w", s.File, err)
		}
		if st.n[s.Category] == 0 {
			st.cats = append(st.cats, s.Category)
		}
		st.n[s.Category]++
		st.load += t1.Sub(t0)
		took := t2.Sub(t1)
		if wide {
			st.big = append(st.big, took)
		} else {
			st.small = append(st.small, took)
		}
		if correct(s, got) {
			st.read[s.Category]++
			st.readCPU[s.Category] += took
		} else {
			st.missCPU[s.Category] += took
		}
	}
	return st, nil
}

func (st inprocStats) markdown() string {
	var b strings.Builder
	b.WriteString("| category | images | read | CPU ms per read | CPU ms per miss |\n|---|---:|---:|---:|---:|\n")
	var n, read int
	var all time.Duration
	per := func(d time.Duration, k int) string {
		if k == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000/float64(k))
	}
	for _, c := range st.cats {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", c, st.n[c], st.read[c], per(st.readCPU[c], st.read[c]), per(st.missCPU[c], st.n[c]-st.read[c]))
		n += st.n[c]
		read += st.read[c]
		all += st.readCPU[c] + st.missCPU[c]
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | | |\n\n", n, read)
	fmt.Fprintf(&b, "Decoding %s ms of CPU per image, reading the file %s ms more; median decode of a 720p image %s ms (of %d), of a smaller one %s ms (of %d).\n",
		per(all, n), per(st.load, n), median(st.big), len(st.big), median(st.small), len(st.small))
	return b.String()
}

func median(d []time.Duration) string {
	if len(d) == 0 {
		return "–"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("%.2f", float64(s[len(s)/2].Microseconds())/1000)
}
