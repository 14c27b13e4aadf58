package sound

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

func decided(r verify.Result, d verify.Decision) ui.Event {
	return ui.Event{Kind: ui.KindDecided, Result: r, Decision: d}
}

func TestCueFor(t *testing.T) {
	deny := verify.Decision{Verdict: verify.VerdictDeny}
	tests := []struct {
		name string
		ev   ui.Event
		want Cue
	}{
		{"pass", decided(verify.Result{Valid: true, Color: verify.Green}, verify.Decision{Verdict: verify.VerdictPass}), CuePass},
		{"fever", decided(verify.Result{Valid: true, Color: verify.Green}, verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportFever}), CueFever},
		{"yellow", decided(verify.Result{Valid: true, Color: verify.Yellow}, deny), CueYellow},
		{"red", decided(verify.Result{Valid: true, Color: verify.Red}, verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportRedSighting}), CueRed},
		{"gray", decided(verify.Result{Valid: true, Color: verify.Gray}, deny), CueGray},
		{"forged", decided(verify.Result{Reason: verify.ReasonBadSignature, Color: verify.Green}, deny), CueInvalid},
		{"revoked", decided(verify.Result{Reason: verify.ReasonRevoked, Color: verify.Green}, deny), CueInvalid},
		{"stale", decided(verify.Result{Reason: verify.ReasonDataTooOld}, deny), CueStale},
		{"measure", ui.Event{Kind: ui.KindVerified, Decision: verify.Decision{NeedTemperature: true}}, CueMeasure},
		{"verified, decision follows", ui.Event{Kind: ui.KindVerified}, CueNone},
		{"implausible temperature", ui.Event{Kind: ui.KindTemperatureRejected, Input: "45"}, CueRemeasure},
		{"status is silent", ui.Event{Kind: ui.KindStatus, Status: &ui.Status{}}, CueNone},
		{"error is silent", ui.Event{Kind: ui.KindError, Message: "camera lost"}, CueNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CueFor(tc.ev); got != tc.want {
				t.Errorf("CueFor = %q, want %q", got, tc.want)
			}
		})
	}
}

// run starts p.Run and stops it when the test ends.
func run(t *testing.T, p *Player) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestShowNeverBlocks: with the speaker stuck on one clip, a thousand more
// events return at once, and only the newest is played next.
func TestShowNeverBlocks(t *testing.T) {
	p := New(Options{Command: []string{"true"}})
	started := make(chan []byte)
	release := make(chan struct{})
	p.play = func(ctx context.Context, wav []byte) error {
		started <- wav
		<-release
		return nil
	}
	run(t, p)

	p.Show(decided(verify.Result{Valid: true, Color: verify.Green}, verify.Decision{Verdict: verify.VerdictPass}))
	<-started
	for range 1000 {
		p.Show(decided(verify.Result{Valid: true, Color: verify.Yellow}, verify.Decision{Verdict: verify.VerdictDeny}))
	}
	p.Show(decided(verify.Result{Valid: true, Color: verify.Red}, verify.Decision{Verdict: verify.VerdictDeny}))
	release <- struct{}{}
	next := <-started
	want, _ := assets.Sound("zh", "red")
	if !bytes.Equal(next, want) {
		t.Errorf("after the stuck clip the player played another clip than the newest (red)")
	}
	close(release)
}

// TestClipReachesThePlayer runs a real external player program (a shell
// that keeps what it is given) and checks it got the verdict's clip whole.
func TestClipReachesThePlayer(t *testing.T) {
	tests := []struct {
		lang string
		ev   ui.Event
		cue  string
	}{
		{"zh", decided(verify.Result{Valid: true, Color: verify.Green}, verify.Decision{Verdict: verify.VerdictPass}), "pass"},
		{"en", decided(verify.Result{Valid: true, Color: verify.Green}, verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportFever}), "fever"},
		{"zh", ui.Event{Kind: ui.KindTemperatureRejected}, "remeasure"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.cue, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "played.wav")
			p := New(Options{Lang: tc.lang, Command: []string{"sh", "-c", `cat > "$0"`, out}})
			played := make(chan error)
			p.play = func(ctx context.Context, wav []byte) error {
				err := p.exec(ctx, wav)
				played <- err
				return err
			}
			run(t, p)
			p.Show(tc.ev)
			if err := <-played; err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := assets.Sound(tc.lang, tc.cue)
			if !bytes.Equal(got, want) {
				t.Errorf("player got %d bytes, not the %s/%s clip (%d bytes)", len(got), tc.lang, tc.cue, len(want))
			}
		})
	}
}

// TestAplayNullDevice plays every clip through the real aplay into ALSA's
// null device: the clips are WAVs aplay accepts.
func TestAplayNullDevice(t *testing.T) {
	if _, err := exec.LookPath("aplay"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aplay not installed: CI must install alsa-utils (scripts/deps.sh test)")
		}
		t.Skip("aplay not installed (alsa-utils; make test installs it)")
	}
	p := New(Options{Command: []string{"aplay", "-q", "-D", "null", "-"}})
	for _, lang := range []string{"zh", "en"} {
		for _, cue := range assets.Cues {
			t.Run(lang+"/"+cue, func(t *testing.T) {
				wav, err := assets.Sound(lang, cue)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.exec(context.Background(), wav); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestMissingPlayerLogsOnceAndStaysSilent(t *testing.T) {
	var logs bytes.Buffer
	p := New(Options{Command: []string{filepath.Join(t.TempDir(), "no-such-player")}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	for range 100 {
		p.Play(CuePass)
	}
	cancel()
	<-done
	if n := strings.Count(logs.String(), "sound player not found"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestOffIsSilent(t *testing.T) {
	p := New(Options{Off: true})
	p.Play(CueRed)
	select {
	case c := <-p.waiting:
		t.Errorf("switched-off player queued %q", c)
	default:
	}
}
