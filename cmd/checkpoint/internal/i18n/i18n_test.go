package i18n

import (
	"testing"

	"yanma/verify"
)

func TestClassify(t *testing.T) {
	deny, pass := verify.VerdictDeny, verify.VerdictPass
	tests := []struct {
		name    string
		valid   bool
		reason  verify.Reason
		color   verify.Color
		verdict verify.Verdict
		report  verify.ReportKind
		want    Outcome
	}{
		{"green pass", true, verify.ReasonOK, verify.Green, pass, "", Pass},
		{"pass on stale data by site switch", true, verify.ReasonOK, verify.Green, pass, "", Pass},
		{"fever", true, verify.ReasonOK, verify.Green, deny, verify.ReportFever, Fever},
		{"yellow", true, verify.ReasonOK, verify.Yellow, deny, "", Yellow},
		{"red", true, verify.ReasonOK, verify.Red, deny, verify.ReportRedSighting, Red},
		{"gray", true, verify.ReasonOK, verify.Gray, deny, "", Gray},
		{"revoked green is invalid, not green", false, verify.ReasonRevoked, verify.Green, deny, "", Invalid},
		{"forged red is invalid", false, verify.ReasonBadSignature, verify.Red, deny, "", Invalid},
		{"data too old", false, verify.ReasonDataTooOld, verify.Green, deny, "", Stale},
		{"trust list expired", false, verify.ReasonTrustListExpired, "", deny, "", Stale},
		{"no trust list", false, verify.ReasonNoTrustList, "", deny, "", Stale},
		{"valid green denied by an unknown rule", true, verify.ReasonOK, verify.Green, deny, "", Denied},
		{"empty verdict is never a pass", true, verify.ReasonOK, verify.Green, "", "", Denied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.valid, tc.reason, tc.color, tc.verdict, tc.report); got != tc.want {
				t.Errorf("Classify = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEveryOutcomeHasWords(t *testing.T) {
	for _, o := range []Outcome{Pass, Fever, Yellow, Red, Gray, Stale, Invalid, Denied} {
		t.Run(string(o), func(t *testing.T) {
			b := BannerOf(o)
			if b.Symbol == "" || b.Zh == "" || b.En == "" {
				t.Errorf("banner %+v", b)
			}
			if Advice(o, "zh") == Advice(o, "en") {
				t.Errorf("advice not translated: %q", Advice(o, "zh"))
			}
		})
	}
}
