package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunBadDevices: a wrong thermometer or source is refused at once with
// one clear line that names the device once (no prefix said twice), and
// nothing is scanned. A missing tty gun or thermometer is not here: run
// waits for them (TestWaitingScannerGun, TestThermometerPluggedLate).
func TestRunBadDevices(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--thermometer", os.DevNull}, "thermometer: " + os.DevNull + ": not a serial device"},
		{[]string{"--thermometer", os.DevNull, "--baud", "12"}, "12: unsupported baud rate (want 1200, 2400,"},
		{[]string{"--source", "tty:" + os.DevNull}, "source tty:" + os.DevNull + ": " + os.DevNull + ": not a serial device"},
		{[]string{"--source", "tty:/dev/ttyS0@fast"}, `source tty:/dev/ttyS0@fast: baud "fast"`},
		{[]string{"--source", "file:" + missing}, "source file:" + missing + ": stat " + missing + ": no such file"},
		{[]string{"--source", "file:" + dir}, "a directory (use images:DIR)"},
		{[]string{"--source", "images:" + dir}, "source images:" + dir + ": scanner: no images"},
		{[]string{"--source", "webcam"}, "source webcam: unknown (want camera:N"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out, errb bytes.Buffer
			args := append([]string{"--data", filepath.Join(dir, "data"), "--lang", "en", "--log-level", "warn", "run", "--offline", "--ui", "json"}, c.args...)
			err := run(ctx, args, strings.NewReader(""), &out, &errb)
			if err == nil {
				t.Fatalf("no error; output %q", out.String())
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want it to say %q", msg, c.want)
			}
			for _, twice := range []string{"thermometer: thermometer:", "source source", "open open", "open source"} {
				if strings.Contains(msg, twice) {
					t.Errorf("error %q says %q", msg, twice)
				}
			}
			if strings.Contains(out.String(), `"event":"decided"`) {
				t.Errorf("decided something: %q", out.String())
			}
		})
	}
}

// TestRunBadFlags: run refuses impossible settings before it starts,
// saying which flag and what it wants.
func TestRunBadFlags(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fps", "0"}, "--fps 0: want a positive rate"},
		{[]string{"--width", "-1"}, "--width -1"},
		{[]string{"--hold", "-5s"}, "--hold -5s: want a positive duration"},
		{[]string{"--direction", "sideways"}, `--direction "sideways": a road site records no direction`},
		{[]string{"--site", "community", "--direction", "sideways"}, "records in or out"},
		{[]string{"--temps", "36.5,abc"}, `--temps: "abc" is not a temperature`},
	} {
		_, err := parseRunFlags(e, append([]string{"--source", "stdin"}, tc.args...))
		if err == nil && tc.args[0] == "--temps" {
			_, err = parseScripted(tc.args[1])
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}

// TestExportEmptyRange: a --to before --from is refused, not answered
// with an empty file.
func TestExportEmptyRange(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	if _, _, err := parseExportFlags(e, []string{"--from", "2026-12-05", "--to", "2026-12-01"}); err == nil || !strings.Contains(err.Error(), "range is empty") {
		t.Errorf("--to before --from: %v", err)
	}
	if _, _, err := parseExportFlags(e, []string{"--from", "2026-12-01", "--to", "2026-12-01"}); err != nil {
		t.Errorf("one day: %v", err)
	}
}
