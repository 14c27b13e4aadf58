package verify

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Site is the kind of checkpoint, which sets what is asked and recorded.
type Site string

// Sites.
const (
	SiteRoad       Site = "road"
	SiteCommunity  Site = "community"
	SiteMall       Site = "mall"
	SiteTransit    Site = "transit"
	SiteEnterprise Site = "enterprise"
)

// Measures reports whether the site takes a temperature. Only transit
// (bus, metro, taxi) does not; an unknown site measures, which is the
// cautious side.
func (s Site) Measures() bool { return s != SiteTransit }

// Verdict is what the officer does.
type Verdict string

// Verdicts.
const (
	VerdictPass Verdict = "pass"
	VerdictDeny Verdict = "deny"
)

// ReportKind is what, if anything, goes upstream.
type ReportKind string

// Report kinds.
const (
	ReportNone        ReportKind = ""
	ReportFever       ReportKind = "fever"
	ReportRedSighting ReportKind = "red_sighting"
)

// Decision is the checkpoint's decision for one person.
type Decision struct {
	Verdict         Verdict    `json:"verdict"`
	Report          ReportKind `json:"report,omitempty"`
	NeedTemperature bool       `json:"need_temperature,omitempty"`
	TemperatureC    float64    `json:"temperature_c,omitempty"`
	ThresholdC      float64    `json:"threshold_c,omitempty"`
}

// Plausible body temperatures; a reading outside is a measuring error.
const (
	MinPlausibleC = 35.0
	MaxPlausibleC = 42.5
)

// ParseTemperature reads an officer's entry ("36.6", "36,6") and refuses what
// is not a number in [MinPlausibleC, MaxPlausibleC]: ErrNotNumber for
// anything but digits with at most one decimal separator (no signs,
// exponents, hex or "NaN"), ErrImplausibleTemperature out of range.
func ParseTemperature(s string) (float64, error) {
	s = strings.TrimSpace(s)
	sep := false
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
		case (c == '.' || c == ',') && !sep && digits > 0 && i < len(s)-1:
			sep = true
		default:
			return 0, fmt.Errorf("temperature: %w", ErrNotNumber)
		}
	}
	if digits == 0 || digits > 6 {
		return 0, fmt.Errorf("temperature: %w", ErrNotNumber)
	}
	t, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(t) {
		return 0, fmt.Errorf("temperature: %w", ErrNotNumber)
	}
	if t < MinPlausibleC || t > MaxPlausibleC {
		return 0, fmt.Errorf("temperature %.1f: %w", t, ErrImplausibleTemperature)
	}
	return t, nil
}

// Decide applies the checkpoint rules. temp is nil when no temperature has
// been taken yet: for a valid green code at a site that measures, the result
// then has NeedTemperature set and Verdict empty.
//
// Invalid (including data too old), yellow and gray codes are denied; a
// valid red code is denied and reported as a sighting; a green code passes
// at a transit site, and elsewhere passes below the threshold and is denied
// and reported as a fever at or above it.
func Decide(r Result, site Site, temp *float64) Decision {
	threshold := r.TempThresholdC
	if threshold == 0 {
		threshold = DefaultTempThresholdC
	}
	if !r.Valid {
		return Decision{Verdict: VerdictDeny}
	}
	switch r.Color {
	case Red:
		return Decision{Verdict: VerdictDeny, Report: ReportRedSighting}
	case Green:
	default: // yellow, gray, or anything unexpected
		return Decision{Verdict: VerdictDeny}
	}
	if !site.Measures() {
		return Decision{Verdict: VerdictPass}
	}
	if temp == nil {
		return Decision{NeedTemperature: true, ThresholdC: threshold}
	}
	d := Decision{TemperatureC: *temp, ThresholdC: threshold}
	// A value that did not come through ParseTemperature is judged as
	// carefully: NaN or out of range is not a pass.
	switch t := *temp; {
	case math.IsNaN(t) || t < MinPlausibleC || t > MaxPlausibleC:
		d.Verdict, d.NeedTemperature = "", true
	case t >= threshold:
		d.Verdict, d.Report = VerdictDeny, ReportFever
	default:
		d.Verdict = VerdictPass
	}
	return d
}
