package assets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestEverySoundIsSmallMonoWAV(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		for _, cue := range Cues {
			t.Run(lang+"/"+cue, func(t *testing.T) {
				b, err := Sound(lang, cue)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) < 44 || !bytes.Equal(b[:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WAVE")) {
					t.Fatalf("not a WAV file")
				}
				channels := binary.LittleEndian.Uint16(b[22:24])
				rate := binary.LittleEndian.Uint32(b[24:28])
				if channels != 1 || rate < 8000 || rate > 16000 {
					t.Errorf("channels %d rate %d, want mono 8–16 kHz", channels, rate)
				}
				if len(b) > 64<<10 {
					t.Errorf("%d bytes: keep clips short", len(b))
				}
			})
		}
	}
}

func TestSoundsDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, lang := range []string{"zh", "en"} {
		for _, cue := range Cues {
			b, err := Sound(lang, cue)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[string(b)]; dup {
				t.Errorf("%s/%s is the same clip as %s", lang, cue, other)
			}
			seen[string(b)] = lang + "/" + cue
		}
	}
}

func TestUnknownSound(t *testing.T) {
	if _, err := Sound("zh", "nope"); !errors.Is(err, ErrNoSuchAsset) {
		t.Fatalf("err = %v, want ErrNoSuchAsset", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	c, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		site       string
		askTemp    bool
		oncePerDay bool
	}{
		{"road", true, false},
		{"community", true, false},
		{"mall", true, false},
		{"transit", false, false},
		{"enterprise", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.site, func(t *testing.T) {
			p, err := c.Profile(tc.site)
			if err != nil {
				t.Fatal(err)
			}
			if p.AskTemperature != tc.askTemp || p.OncePerDay != tc.oncePerDay {
				t.Errorf("profile %+v", p)
			}
		})
	}
	if time.Duration(c.HoldFor) != 5*time.Second {
		t.Errorf("hold_for %v", time.Duration(c.HoldFor))
	}
}

func TestBadConfig(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"not json", `{`},
		{"bad lang", `{"lang":"fr","profiles":{}}`},
		{"missing profiles", `{"lang":"zh","profiles":{"road":{}}}`},
		{"bad duration", `{"lang":"zh","hold_for":"soon"}`},
		{"unknown site", `{"lang":"zh","profiles":{"road":{},"community":{},"mall":{},"transit":{},"enterprise":{},"moon":{}}}`},
		{"bad late_after", `{"lang":"zh","profiles":{"road":{},"community":{},"mall":{},"transit":{},"enterprise":{"late_after":"9am"}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseConfig([]byte(tc.json)); !errors.Is(err, ErrBadConfig) {
				t.Fatalf("err = %v, want ErrBadConfig", err)
			}
		})
	}
}

func TestLate(t *testing.T) {
	p := Profile{LateAfter: "09:00"}
	tests := []struct {
		at   string
		want bool
	}{{"08:59", false}, {"09:00", false}, {"09:01", true}, {"17:30", true}}
	for _, tc := range tests {
		t.Run(tc.at, func(t *testing.T) {
			at, _ := time.Parse("15:04", tc.at)
			if got := p.Late(at); got != tc.want {
				t.Errorf("Late(%s) = %v", tc.at, got)
			}
		})
	}
}

func TestBootstrapEmptyByDefault(t *testing.T) {
	// The committed slot is empty; a deployer's build fills it.
	if bootstrapRoot != "" {
		t.Skip("this build carries a bootstrap root")
	}
	if _, err := BootstrapRoot(); !errors.Is(err, ErrNoBootstrap) {
		t.Errorf("err = %v, want ErrNoBootstrap", err)
	}
	if _, err := BootstrapTrustList(); !errors.Is(err, ErrNoBootstrap) {
		t.Errorf("err = %v, want ErrNoBootstrap", err)
	}
}
