package verify

import (
	"math"
	"testing"
)

func TestParseTemperature(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want float64
		err  error
	}{
		{"dot", "36.6", 36.6, nil},
		{"comma", "36,6", 36.6, nil},
		{"integer", "37", 37, nil},
		{"spaces", " 38.2\n", 38.2, nil},
		{"low edge", "35.0", 35.0, nil},
		{"high edge", "42.5", 42.5, nil},
		{"below", "34.9", 0, ErrImplausibleTemperature},
		{"above", "42.6", 0, ErrImplausibleTemperature},
		{"fahrenheit", "98.6", 0, ErrImplausibleTemperature},
		{"empty", "", 0, ErrNotNumber},
		{"word", "abc", 0, ErrNotNumber},
		{"sign", "+36.6", 0, ErrNotNumber},
		{"negative", "-36.6", 0, ErrNotNumber},
		{"exponent", "3.66e1", 0, ErrNotNumber},
		{"hex", "0x24", 0, ErrNotNumber},
		{"nan", "NaN", 0, ErrNotNumber},
		{"inf", "Inf", 0, ErrNotNumber},
		{"two separators", "36.6.1", 0, ErrNotNumber},
		{"trailing separator", "36.", 0, ErrNotNumber},
		{"leading separator", ".5", 0, ErrNotNumber},
		{"unit", "36.6C", 0, ErrNotNumber},
		{"fullwidth digits", "３６.６", 0, ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTemperature(tt.in)
			wantErr(t, err, tt.err)
			if err == nil && math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("ParseTemperature(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	green := Result{Valid: true, Reason: ReasonOK, Color: Green, TempThresholdC: 37.3}
	with := func(c Color) Result { r := green; r.Color = c; return r }
	invalid := Result{Reason: ReasonBadSignature}
	tooOld := green
	tooOld.Valid, tooOld.Reason = false, ReasonDataTooOld
	lowPolicy := green
	lowPolicy.TempThresholdC = 37.0
	noPolicy := green
	noPolicy.TempThresholdC = 0
	tests := []struct {
		name string
		r    Result
		site Site
		temp *float64
		want Decision
	}{
		{"invalid", invalid, SiteRoad, nil, Decision{Verdict: VerdictDeny}},
		{"invalid with temp", invalid, SiteRoad, f(36.5), Decision{Verdict: VerdictDeny}},
		{"data too old", tooOld, SiteMall, f(36.5), Decision{Verdict: VerdictDeny}},
		{"red", with(Red), SiteRoad, nil, Decision{Verdict: VerdictDeny, Report: ReportRedSighting}},
		{"red on transit", with(Red), SiteTransit, nil, Decision{Verdict: VerdictDeny, Report: ReportRedSighting}},
		{"yellow", with(Yellow), SiteCommunity, f(36.5), Decision{Verdict: VerdictDeny}},
		{"gray", with(Gray), SiteMall, nil, Decision{Verdict: VerdictDeny}},
		{"green needs temperature", green, SiteRoad, nil, Decision{NeedTemperature: true, ThresholdC: 37.3}},
		{"green enterprise needs temperature", green, SiteEnterprise, nil, Decision{NeedTemperature: true, ThresholdC: 37.3}},
		{"green normal", green, SiteRoad, f(36.6), Decision{Verdict: VerdictPass, TemperatureC: 36.6, ThresholdC: 37.3}},
		{"green just below", green, SiteMall, f(37.2), Decision{Verdict: VerdictPass, TemperatureC: 37.2, ThresholdC: 37.3}},
		{"green at threshold", green, SiteMall, f(37.3), Decision{Verdict: VerdictDeny, Report: ReportFever, TemperatureC: 37.3, ThresholdC: 37.3}},
		{"green fever", green, SiteRoad, f(38.2), Decision{Verdict: VerdictDeny, Report: ReportFever, TemperatureC: 38.2, ThresholdC: 37.3}},
		{"policy threshold", lowPolicy, SiteRoad, f(37.1), Decision{Verdict: VerdictDeny, Report: ReportFever, TemperatureC: 37.1, ThresholdC: 37.0}},
		{"default threshold", noPolicy, SiteRoad, f(37.2), Decision{Verdict: VerdictPass, TemperatureC: 37.2, ThresholdC: DefaultTempThresholdC}},
		{"implausible asks again", green, SiteRoad, f(20), Decision{NeedTemperature: true, TemperatureC: 20, ThresholdC: 37.3}},
		{"transit takes none", green, SiteTransit, nil, Decision{Verdict: VerdictPass}},
		{"transit ignores a temp", green, SiteTransit, f(39), Decision{Verdict: VerdictPass}},
		{"unknown site measures", green, Site("pier"), nil, Decision{NeedTemperature: true, ThresholdC: 37.3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.r, tt.site, tt.temp); got != tt.want {
				t.Fatalf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	for _, r := range Reasons() {
		t.Run(string(r), func(t *testing.T) {
			zh, en := r.Message("zh"), r.Message("en")
			if zh == string(r) || en == string(r) || zh == en {
				t.Fatalf("reason %s: zh %q, en %q", r, zh, en)
			}
			if r.Message("zh-CN") != zh || r.Message("") != en {
				t.Fatalf("reason %s: language selection", r)
			}
		})
	}
	for _, w := range []Warning{WarnClockBehind, WarnClockSkew, WarnStaleData, WarnNoRevocationData} {
		t.Run(string(w), func(t *testing.T) {
			if zh, en := w.Message("zh"), w.Message("en"); zh == string(w) || en == string(w) || zh == en {
				t.Fatalf("warning %s: zh %q, en %q", w, zh, en)
			}
		})
	}
	if got := Reason("nonsense").Message("zh"); got != "nonsense" {
		t.Fatalf("unknown reason: %q", got)
	}
}
