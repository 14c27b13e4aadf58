package assets

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// DefaultConfigJSON is the configuration a kiosk runs with when it is given
// none; `checkpoint` may print it as a starting point for a deployer.
//
//go:embed config/default.json
var DefaultConfigJSON []byte

// Sites are the site profiles the configuration must define.
var Sites = []string{"road", "community", "mall", "transit", "enterprise"}

// Config is the kiosk configuration file.
type Config struct {
	Lang          string             `json:"lang"`
	UI            string             `json:"ui"`
	HoldFor       Duration           `json:"hold_for"`
	Sound         bool               `json:"sound"`
	Thermometer   Thermometer        `json:"thermometer"`
	RetentionDays int                `json:"retention_days"`
	Profiles      map[string]Profile `json:"profiles"`
}

// Thermometer is a serial infrared thermometer; an empty Device means the
// officer types temperatures on the keypad.
type Thermometer struct {
	Device string `json:"device"`
	Baud   int    `json:"baud"`
	// MaxAge is how old a reading may be when the scan loop asks for one:
	// officers often measure while the person is still finding the code.
	MaxAge Duration `json:"max_age"`
}

// Profile is what one kind of site asks and records.
type Profile struct {
	// AskTemperature: measure every green code (transit does not).
	AskTemperature bool `json:"ask_temperature"`
	// ShowID: the officer compares the masked ID with a document.
	ShowID bool `json:"show_id"`
	// Directions a gate records (community: in and out); empty: one way.
	Directions []string `json:"directions,omitempty"`
	// OncePerDay: attendance; a person's first entry of the day counts.
	OncePerDay bool `json:"once_per_day,omitempty"`
	// LateAfter: the local time of day ("09:00") after which a first
	// entry of the day is late (enterprise).
	LateAfter string `json:"late_after,omitempty"`
	// HoldFor overrides the verdict's time on screen (transit: shorter).
	HoldFor Duration `json:"hold_for,omitempty"`
	NoteZh  string   `json:"note_zh,omitempty"`
	NoteEn  string   `json:"note_en,omitempty"`
}

// Late reports whether an arrival at t (in t's location) is after LateAfter.
func (p Profile) Late(t time.Time) bool {
	if p.LateAfter == "" {
		return false
	}
	at, err := time.Parse("15:04", p.LateAfter)
	if err != nil {
		return false // Validate refused it already
	}
	return t.Hour()*60+t.Minute() > at.Hour()*60+at.Minute()
}

// Duration is a time.Duration written as "5s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "5s", "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: duration: %w", ErrBadConfig, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%w: duration %q", ErrBadConfig, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DefaultConfig is the parsed DefaultConfigJSON.
func DefaultConfig() (Config, error) { return ParseConfig(DefaultConfigJSON) }

// ParseConfig reads and validates a configuration.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks what JSON cannot.
func (c Config) Validate() error {
	if c.Lang != "zh" && c.Lang != "en" {
		return fmt.Errorf("%w: lang %q: want zh or en", ErrBadConfig, c.Lang)
	}
	if c.Thermometer.Device != "" && c.Thermometer.Baud <= 0 {
		return fmt.Errorf("%w: thermometer baud %d", ErrBadConfig, c.Thermometer.Baud)
	}
	for _, s := range Sites {
		if _, ok := c.Profiles[s]; !ok {
			return fmt.Errorf("%w: no profile for site %q", ErrBadConfig, s)
		}
	}
	for name, p := range c.Profiles {
		if !slices.Contains(Sites, name) {
			return fmt.Errorf("%w: unknown site %q", ErrBadConfig, name)
		}
		if p.LateAfter != "" {
			if _, err := time.Parse("15:04", p.LateAfter); err != nil {
				return fmt.Errorf("%w: %s late_after %q: want HH:MM", ErrBadConfig, name, p.LateAfter)
			}
		}
	}
	return nil
}

// Profile returns the profile of a site.
func (c Config) Profile(site string) (Profile, error) {
	p, ok := c.Profiles[site]
	if !ok {
		return Profile{}, fmt.Errorf("%w: unknown site %q", ErrBadConfig, site)
	}
	return p, nil
}
