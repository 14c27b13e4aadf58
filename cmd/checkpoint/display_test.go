package main

import (
	"strings"
	"testing"

	"yanma/cmd/checkpoint/internal/ui"
)

// TestPlainDisplaySourceLost: a headless kiosk's log says once that the
// camera or the scanner gun went away, and once that it is back, in the
// officer's language.
func TestPlainDisplaySourceLost(t *testing.T) {
	tests := []struct {
		lang  string
		steps []string // SourceLost of each status event
		want  string
	}{
		{"en", []string{"", ui.LostCamera, ui.LostCamera, ""}, "camera lost, reconnecting\ncamera back\n"},
		{"en", []string{ui.LostScannerGun, ""}, "scanner gun lost, reconnecting\nscanner gun back\n"},
		{"zh", []string{ui.LostCamera, "", ui.LostScannerGun, ""}, "摄像头断开，正在重连\n摄像头已恢复\n扫码枪断开，正在重连\n扫码枪已恢复\n"},
	}
	for _, tc := range tests {
		var out strings.Builder
		d := &plainDisplay{w: &out, lang: tc.lang}
		for _, lost := range tc.steps {
			d.Show(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true, SourceLost: lost}})
		}
		if out.String() != tc.want {
			t.Errorf("%s %q: wrote %q, want %q", tc.lang, tc.steps, out.String(), tc.want)
		}
	}
}
