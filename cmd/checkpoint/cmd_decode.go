package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"yanma/scanner"
)

// cmdDecode prints the QR codes each image, or each frame of a video, holds.
// One process goes over all files, so a benchmark pays start-up once.
func cmdDecode(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, `one JSON object per image or frame: {"file":…, "frame":…, "codes":[…]}`)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: checkpoint decode [--json] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError{2}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	// Files are read offline: no camera is waiting for the next frame, so
	// the decoder may take every pass it has (the per-frame budget is for
	// live sources).
	dec := scanner.NewDecoder(scanner.WithBudget(0))
	failed := 0
	for _, path := range fs.Args() {
		err := scanner.DecodeFile(ctx, dec, path, func(fc scanner.FrameCodes) error {
			codes := fc.Codes
			if codes == nil {
				codes = []string{}
			}
			if *asJSON {
				out := struct {
					File  string   `json:"file"`
					Frame *int     `json:"frame,omitempty"`
					Codes []string `json:"codes"`
				}{File: fc.File, Codes: codes}
				if fc.Frame >= 0 {
					out.Frame = &fc.Frame
				}
				return enc.Encode(out)
			}
			name := fc.File
			if fc.Frame >= 0 {
				name = fmt.Sprintf("%s#%d", fc.File, fc.Frame)
			}
			if len(codes) == 0 {
				_, err := fmt.Fprintf(e.stdout, "%s: no code\n", name)
				return err
			}
			_, err := fmt.Fprintf(e.stdout, "%s: %s\n", name, strings.Join(codes, "\n\t"))
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// One unreadable file must not hide the others' results.
			fmt.Fprintf(e.stderr, "checkpoint: %v\n", err) // it names the file
			failed++
		}
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}
