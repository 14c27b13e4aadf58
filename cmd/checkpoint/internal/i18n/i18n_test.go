package i18n

import (
	"strings"
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

// TestExplainSaysAdviceOnce: whatever the reason, the officer reads what to
// do once; a reason that already says it (malformed, lookup_failed) is not
// followed by it again, and every other reason still gets the advice.
func TestExplainSaysAdviceOnce(t *testing.T) {
	reasons := []verify.Reason{
		verify.ReasonOK, verify.ReasonMalformed, verify.ReasonTooLarge, verify.ReasonAlgNotAllowed,
		verify.ReasonUnknownIssuer, verify.ReasonUnknownKey, verify.ReasonBadSignature, verify.ReasonExpired,
		verify.ReasonNotYetValid, verify.ReasonRevoked, verify.ReasonMissingProof, verify.ReasonBadProof,
		verify.ReasonStaleProof, verify.ReasonNoTrustList, verify.ReasonTrustListExpired,
		verify.ReasonDataTooOld, verify.ReasonLookupFailed,
	}
	for _, lang := range []string{"zh", "en"} {
		for _, o := range []Outcome{Pass, Fever, Yellow, Red, Gray, Stale, Invalid, Denied} {
			for _, r := range reasons {
				got, advice := Explain(o, r, lang), Advice(o, lang)
				if n := strings.Count(got, advice); n != 1 {
					t.Errorf("%s %s %s: %q says %q %d times, want once", lang, o, r, got, advice, n)
				}
				if r != verify.ReasonOK && !strings.Contains(got, r.Message(lang)) {
					t.Errorf("%s %s %s: %q lacks the reason", lang, o, r, got)
				}
			}
		}
	}
	if got, want := Explain(Invalid, verify.ReasonMalformed, "en"), "Unreadable code; check manually"; got != want {
		t.Errorf("malformed = %q, want %q", got, want)
	}
	if got, want := Explain(Invalid, verify.ReasonMalformed, "zh"), "无法识别的码,请人工核验"; got != want {
		t.Errorf("malformed zh = %q, want %q", got, want)
	}
}
