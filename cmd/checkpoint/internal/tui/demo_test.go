package tui

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// The tmux tests run this test binary again as the program on screen: with
// YANMA_TUI_DEMO set, TestMain runs the real TUI on the terminal tmux gives
// it, fed by a scripted stand-in for the scan loop (the one fake, at the
// display's edge). The integrator's end-to-end test runs the real pipeline.
func TestMain(m *testing.M) {
	if os.Getenv("YANMA_TUI_DEMO") != "" {
		os.Exit(runDemo())
	}
	os.Exit(m.Run())
}

func runDemo() int {
	hold, _ := time.ParseDuration(os.Getenv("YANMA_TUI_HOLD"))
	lines := make(chan string)
	d := New(Options{Lang: os.Getenv("YANMA_TUI_LANG"), Site: verify.SiteRoad, Lines: lines, HoldFor: hold})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go demoPipeline(ctx, d, lines)
	if err := d.Run(ctx); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// demoCodes are the people of the script, by the QR text the test types.
var demoCodes = map[string]verify.Result{
	"GREEN-ZHANG": {Valid: true, Reason: verify.ReasonOK, Color: verify.Green, Issuer: "450000", IssuerName: "广西健康码", Name: "张*三", IDMasked: "4501**********1234", TempThresholdC: 37.3},
	"YELLOW-LI":   {Valid: true, Reason: verify.ReasonOK, Color: verify.Yellow, Issuer: "450000", IssuerName: "广西健康码", Name: "李*", IDMasked: "4502**********5678"},
	"RED-WANG":    {Valid: true, Reason: verify.ReasonOK, Color: verify.Red, Issuer: "450000", IssuerName: "广西健康码", Name: "王*五", IDMasked: "4503**********9012"},
	"GRAY-ZHAO":   {Valid: true, Reason: verify.ReasonOK, Color: verify.Gray, Issuer: "450000", IssuerName: "广西健康码", Name: "赵*", IDMasked: "4504**********3456"},
	"FORGED":      {Reason: verify.ReasonBadSignature, Color: verify.Green, Name: "钱*", IDMasked: "4505**********7890"},
	"STALE":       {Reason: verify.ReasonDataTooOld, Color: verify.Green, Issuer: "450000", Name: "孙*", IDMasked: "4506**********1111"},
}

// demoDecide stands in for verify.Decide at a road checkpoint.
func demoDecide(r verify.Result, temp *float64) verify.Decision {
	switch {
	case !r.Valid:
		return verify.Decision{Verdict: verify.VerdictDeny}
	case r.Color == verify.Red:
		return verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportRedSighting}
	case r.Color != verify.Green:
		return verify.Decision{Verdict: verify.VerdictDeny}
	case temp == nil:
		return verify.Decision{NeedTemperature: true, ThresholdC: 37.3}
	case *temp >= 37.3:
		return verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportFever, TemperatureC: *temp, ThresholdC: 37.3}
	}
	return verify.Decision{Verdict: verify.VerdictPass, TemperatureC: *temp, ThresholdC: 37.3}
}

func demoPipeline(ctx context.Context, d *TUI, lines <-chan string) {
	now := time.Now()
	status := ui.Status{Online: false, TrustAsOf: now.Add(-100 * time.Hour), RevocationsAsOf: now.Add(-5 * time.Minute),
		OutboxWaiting: 2, OutboxOldest: now.Add(-12 * time.Minute)}
	d.Show(ui.Event{Kind: ui.KindStatus, Time: now, Status: &status})
	for line := range lines {
		if line == "DISKFULL" {
			res := demoCodes["YELLOW-LI"]
			d.Show(ui.Event{Kind: ui.KindVerified, Result: res, Decision: demoDecide(res, nil)})
			d.Show(ui.Event{Kind: ui.KindError, Message: "entry not recorded: disk full"})
			continue
		}
		res, ok := demoCodes[line]
		if !ok {
			res = verify.Result{Reason: verify.ReasonMalformed}
		}
		dec := demoDecide(res, nil)
		d.Show(ui.Event{Kind: ui.KindVerified, Result: res, Decision: dec})
		for dec.NeedTemperature {
			raw, ok := <-lines
			if !ok {
				return
			}
			c, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", "."), 64)
			if err != nil || c < verify.MinPlausibleC || c > verify.MaxPlausibleC {
				d.Show(ui.Event{Kind: ui.KindTemperatureRejected, Result: res, Decision: dec, Input: raw})
				continue
			}
			dec = demoDecide(res, &c)
		}
		pending := dec.Report != verify.ReportNone
		d.Show(ui.Event{Kind: ui.KindDecided, Result: res, Decision: dec, EntryID: "e1", PendingReport: pending})
		if pending {
			status.OutboxWaiting++
			d.Show(ui.Event{Kind: ui.KindStatus, Status: &status})
			// The sync loop delivers the report a little later.
			go func(s ui.Status) {
				select {
				case <-time.After(1500 * time.Millisecond):
				case <-ctx.Done():
					return
				}
				s.Online, s.OutboxWaiting, s.OutboxOldest = true, 0, time.Time{}
				d.Show(ui.Event{Kind: ui.KindStatus, Status: &s})
			}(status)
		}
	}
}
