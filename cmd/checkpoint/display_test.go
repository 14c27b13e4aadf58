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

// TestPlainDisplayThermometerLost: the thermometer's going and coming back
// are said once each, beside the scanning device's.
func TestPlainDisplayThermometerLost(t *testing.T) {
	var out strings.Builder
	d := &plainDisplay{w: &out, lang: "en"}
	for _, st := range []ui.Status{{}, {ThermometerLost: true}, {ThermometerLost: true, SourceLost: ui.LostCamera}, {SourceLost: ui.LostCamera}, {}} {
		d.Show(ui.Event{Kind: ui.KindStatus, Status: &st})
	}
	want := "thermometer lost, type temperatures\ncamera lost, reconnecting\nthermometer back\ncamera back\n"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
}
