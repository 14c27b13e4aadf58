package assets

import (
	"embed"
	"fmt"
	"io/fs"
)

// sounds are the clips sounds/generate.sh made: a tone, then a short spoken
// prompt; 8 kHz mono 16-bit WAV, one folder per language.
//
//go:embed sounds/zh/*.wav sounds/en/*.wav
var sounds embed.FS

// Cues are the names of the clips, one per thing an officer must hear.
var Cues = []string{"pass", "fever", "yellow", "red", "gray", "invalid", "stale", "remeasure", "measure"}

// Sound returns the WAV of a cue in lang ("zh" or "en"; anything else is zh).
func Sound(lang, cue string) ([]byte, error) {
	if lang != "en" {
		lang = "zh"
	}
	b, err := fs.ReadFile(sounds, "sounds/"+lang+"/"+cue+".wav")
	if err != nil {
		return nil, fmt.Errorf("sound %s/%s: %w", lang, cue, ErrNoSuchAsset)
	}
	return b, nil
}
