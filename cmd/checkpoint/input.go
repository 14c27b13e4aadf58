package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"yanma/cmd/checkpoint/internal/ui"

	"yanma/scanner"
	"yanma/verify"
)

// lineInput hands out the officer's typed lines — QR texts from a
// keyboard-wedge scanner gun and temperatures from the keypad arrive on the
// same keyboard — one at a time and only when asked, so that a temperature
// typed right after a code is never taken for a code.
type lineInput struct {
	ch <-chan string
	// err is why reading stopped when it was not the end of the input; it
	// is written before ch is closed, so Line reads it after seeing the close.
	err error
}

// maxInputLine bounds one typed line. A code longer than verify's limit
// still comes through whole up to here, so that verify calls it too_large
// and the officer sees a verdict; a line longer than this is no scan at all
// (a stuck key, a file piped in by mistake) and is dropped, so that memory
// stays bounded and the lines after it are still read.
const maxInputLine = 1 << 20

// newLineInput reads lines from r until EOF or ctx ends. Dropped lines are
// logged on log.
func newLineInput(ctx context.Context, r io.Reader, log *slog.Logger) *lineInput {
	ch := make(chan string)
	in := &lineInput{ch: ch}
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, long, err := readInputLine(br, maxInputLine)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				in.err = fmt.Errorf("read input: %w", err)
				return
			}
			if long {
				// One bad line must not end the checkpoint: the next
				// person's code is on the next line.
				log.Warn("dropping overlong input line; reading on", "limit_bytes", maxInputLine)
				continue
			}
			select {
			case ch <- line:
			case <-ctx.Done():
				return
			}
		}
	}()
	return in
}

// readInputLine reads one line without its LF and a CR before it; a last
// line without an end counts. A line of more than limit bytes comes back as
// long, without its text: it is read to its end but never held whole. It
// returns io.EOF after the last line.
func readInputLine(br *bufio.Reader, limit int) (line string, long bool, err error) {
	var buf []byte
	n := 0 // the line's length so far, whether kept or not
	for {
		chunk, err := br.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		n += len(chunk)
		if n <= limit {
			buf = append(buf, chunk...)
		} else {
			buf = nil
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil, errors.Is(err, io.EOF) && n > 0:
			if n > limit {
				return "", true, nil
			}
			return strings.TrimRight(string(buf), "\r"), false, nil
		default:
			return "", false, err
		}
	}
}

// fromChannel makes a lineInput of lines another display (the TUI) collects.
func fromChannel(ch <-chan string) *lineInput { return &lineInput{ch: ch} }

// Line returns the next line, io.EOF when the input ended.
func (l *lineInput) Line(ctx context.Context) (string, error) {
	select {
	case s, ok := <-l.ch:
		if !ok {
			if l.err != nil {
				return "", l.err
			}
			return "", io.EOF
		}
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// lineScans is the scan source of a scanner gun: every non-empty line is a
// presentation (each pull of the trigger is one).
type lineScans struct{ in *lineInput }

func (s lineScans) Next(ctx context.Context) (string, error) {
	for {
		line, err := s.in.Line(ctx)
		if err != nil {
			return "", err
		}
		if t := strings.TrimSpace(line); t != "" {
			return t, nil
		}
	}
}

func (lineScans) Done() {}

// keypad reads temperatures typed on the keyboard.
type keypad struct{ in *lineInput }

func (k keypad) Temperature(ctx context.Context) (string, error) {
	line, err := k.in.Line(ctx)
	if err == io.EOF {
		return "", errNoTemperature
	}
	return strings.TrimSpace(line), err
}

// scripted plays back fixed readings, for demos and unattended tests.
type scripted struct{ readings []string }

func parseScripted(s string) (*scripted, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := strconv.ParseFloat(f, 64); err != nil {
			return nil, fmt.Errorf("--temps: %q is not a temperature (want numbers such as 36.5,38.2)", f)
		}
		out = append(out, f)
	}
	return &scripted{readings: out}, nil
}

func (s *scripted) Temperature(ctx context.Context) (string, error) {
	if len(s.readings) == 0 {
		return "", errNoTemperature
	}
	r := s.readings[0]
	s.readings = s.readings[1:]
	return r, nil
}

// cameraScans adapts a scanner.Scanner (camera, video, images) to the loop.
type cameraScans struct{ sc *scanner.Scanner }

func (c cameraScans) Next(ctx context.Context) (string, error) {
	s, err := c.sc.Next(ctx)
	return s.Text, err
}

func (c cameraScans) Done() { c.sc.Done() }

// parseSite checks a --site value.
func parseSite(s string) (verify.Site, error) {
	switch site := verify.Site(s); site {
	case verify.SiteRoad, verify.SiteCommunity, verify.SiteMall, verify.SiteTransit, verify.SiteEnterprise:
		return site, nil
	}
	return "", fmt.Errorf("--site %q: want road, community, mall, transit or enterprise", s)
}

// waitingDevice opens the camera (or a serial scanner gun) when the loop
// first asks for a code, and keeps trying while there is none: a kiosk
// that boots before its camera is plugged in (or whose camera is on
// another port) waits for it and says so on screen, instead of exiting
// into a restart loop the officer cannot see. Once open, the scanner
// itself reopens a device that is unplugged.
type waitingDevice struct {
	open    func() (*scanner.Scanner, error)
	gun     bool // a serial scanner gun (tty:), not a camera
	display ui.Display
	now     func() time.Time
	log     *slog.Logger
	every   time.Duration
	lang    string

	sc   *scanner.Scanner
	told bool
}

// absent reports whether err is the device not being there (yet), which
// is worth waiting for, rather than a mistake in the spec.
func (c *waitingDevice) absent(err error) bool {
	if c.gun {
		return errors.Is(err, fs.ErrNotExist)
	}
	return errors.Is(err, scanner.ErrCamera)
}

func (c *waitingDevice) Next(ctx context.Context) (string, error) {
	for c.sc == nil {
		sc, err := c.open()
		if err == nil {
			c.sc = sc
			if c.told {
				c.log.Info("scanning device ready")
			}
			break
		}
		if !c.absent(err) {
			return "", err
		}
		if !c.told {
			c.told = true
			c.log.Warn("scanning device not available; retrying", "err", err)
			msg := "未找到摄像头，请检查连接，正在重试"
			switch {
			case c.gun && c.lang == "en":
				msg = "scanner gun not found: check the cable; retrying"
			case c.gun:
				msg = "未找到扫码枪，请检查连接，正在重试"
			case c.lang == "en":
				msg = "camera not found: check the cable; retrying"
			}
			c.display.Show(ui.Event{Kind: ui.KindError, Time: c.now(), Message: msg})
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(c.every):
		}
	}
	s, err := c.sc.Next(ctx)
	return s.Text, err
}

func (c *waitingDevice) Done() {
	if c.sc != nil {
		c.sc.Done()
	}
}

func (c *waitingDevice) Close() error {
	if c.sc != nil {
		return c.sc.Close()
	}
	return nil
}
