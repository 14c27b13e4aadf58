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
