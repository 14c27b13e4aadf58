// Command scanbench measures the scanner against the QR decoders Debian
// packages, side by side on the same images (issue 4).
//
//	scanbench [-seed 1] [-n 1300] [-shared DIR] [-write docs/benchmarks.md]
//	scanbench gen -dir DIR [-seed 1] [-n 1300]
//	scanbench decode [-budget 25ms] [-clock cpu|wall] [-load-only] FILE...
//	scanbench inproc -dir CORPUS [-budget 25ms] [-only LIST] [-cpuprofile F] [-bare] [-frames N]
//
// The default form generates a seeded corpus of camera frames of phones
// showing real credentials (signed with verify.Signer, with and without a
// holder proof) in a temporary folder, then runs this project's decoder,
// zbarimg, ZXingReader (zxing-cpp) and Java ZXing each as ONE process over
// the whole corpus, pinned to one core, and prints how many images each
// decodes correctly (every expected text, exactly) per category, and its
// CPU and wall time per image. When the public ZXing / zxing-cpp test images
// are at -shared (manifest.tsv), it runs them too. -write puts the tables
// into the scanner section of docs/benchmarks.md.
//
// "decode" is this project's decoder as a peer process: one JSON line per
// file, like `checkpoint decode --json`. "inproc" runs it in-process over a
// corpus from "gen" and says per category what reads and misses cost and the
// median decode time of 720p and smaller frames (-only: a list of images,
// e.g. those ZXingReader reads; -cpuprofile for pprof; -bare: one bare
// gozxing pass per image instead, the floor under any gozxing read;
// -frames N: each image as N camera frames of one held-up phone).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "decode":
			return cmdDecode(ctx, args[1:], stdout, stderr)
		case "gen":
			return cmdGen(args[1:], stdout, stderr)
		case "inproc":
			return cmdInproc(ctx, args[1:], stdout, stderr)
		}
	}
	return cmdBench(ctx, args, stdout, stderr)
}

func cmdDecode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	budget := fs.Duration("budget", scanner.DefaultBudget, "per-frame time budget (0: none)")
	clock := fs.String("clock", "cpu", "what the budget is measured in: cpu (this process's CPU time) or wall")
	loadOnly := fs.Bool("load-only", false, "only read each image (what loading costs), decode nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []scanner.DecoderOption{scanner.WithBudget(*budget)}
	switch *clock {
	case "cpu":
		opts = append(opts, scanner.WithClock(processCPU))
	case "wall":
	default:
		return fmt.Errorf("decode: -clock %q: want cpu or wall", *clock)
	}
	dec := scanner.NewDecoder(opts...)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		if *loadOnly {
			m := gocv.IMRead(path, gocv.IMReadGrayScale)
			empty := m.Empty()
			m.Close()
			if empty {
				fmt.Fprintf(stderr, "%s: unreadable\n", path)
			}
			if err := enc.Encode(struct {
				File  string   `json:"file"`
				Codes []string `json:"codes"`
			}{path, []string{}}); err != nil {
				return err
			}
			continue
		}
		err := scanner.DecodeFile(ctx, dec, path, func(fc scanner.FrameCodes) error {
			codes := fc.Codes
			if codes == nil {
				codes = []string{}
			}
			return enc.Encode(struct {
				File  string   `json:"file"`
				Codes []string `json:"codes"`
			}{fc.File, codes})
		})
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
		}
	}
	return nil
}

func cmdGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "folder to write the corpus into (required)")
	seed := fs.Uint64("seed", 1, "corpus seed")
	n := fs.Int("n", 1300, "number of images (spread evenly over the categories)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("gen: -dir is required")
	}
	start := time.Now()
	samples, err := generate(*dir, *seed, *n)
	if err != nil {
		return err
	}
	if err := writeManifest(*dir, samples); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d images in %s (%v)\n", len(samples), *dir, time.Since(start).Round(time.Millisecond))
	return nil
}
