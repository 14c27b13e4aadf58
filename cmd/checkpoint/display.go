package main

import (
	"encoding/json"
	"fmt"
	"io"
	gosync "sync"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// plainDisplay writes one line per event: for headless kiosks, logs and
// scanner-gun sites without a screen.
type plainDisplay struct {
	mu         gosync.Mutex
	w          io.Writer
	lang       string
	lastStatus string
}

func (d *plainDisplay) Show(ev ui.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	zh := d.lang == "zh"
	switch ev.Kind {
	case ui.KindVerified:
		if !ev.Decision.NeedTemperature {
			return // the decided line follows at once
		}
		prompt := "temperature? (35.0–42.5 °C)"
		if zh {
			prompt = "请测体温 (35.0–42.5 °C)"
		}
		fmt.Fprintf(d.w, "%s %s — %s\n", colorWord(ev.Result.Color, d.lang), person(ev.Result), prompt)
	case ui.KindTemperatureRejected:
		msg := fmt.Sprintf("temperature %q not accepted, measure again", ev.Input)
		if zh {
			msg = fmt.Sprintf("体温 %q 无效，请重新测温", ev.Input)
		}
		fmt.Fprintln(d.w, msg)
	case ui.KindDecided:
		fmt.Fprintln(d.w, verdictLine(ev, d.lang))
	case ui.KindStatus:
		// A line only when something is wrong, and only when that changes.
		s := ev.Status
		if s == nil {
			return
		}
		line := ""
		if s.ClockWarning || s.LastError != "" {
			line = fmt.Sprintf("status: online=%t outbox=%d clock_warning=%t %s", s.Online, s.OutboxWaiting, s.ClockWarning, s.LastError)
		}
		if line != d.lastStatus && line != "" {
			fmt.Fprintln(d.w, line)
		}
		d.lastStatus = line
	case ui.KindError:
		fmt.Fprintf(d.w, "ERROR %s\n", ev.Message)
	}
}

// verdictLine is the line an officer reads for one person: the verdict, the
// colour, who, the temperature, and why.
func verdictLine(ev ui.Event, lang string) string {
	r, dec := ev.Result, ev.Decision
	verdict := "PASS"
	if dec.Verdict != verify.VerdictPass {
		verdict = "DENY"
	}
	line := fmt.Sprintf("%s %s %s", verdict, colorWord(r.Color, lang), person(r))
	if dec.TemperatureC > 0 {
		line += fmt.Sprintf(" %.1f°C", dec.TemperatureC)
	}
	why := r.Reason.Message(lang)
	if r.Valid && dec.Verdict != verify.VerdictPass {
		why = denyWhy(r, dec, lang)
	}
	line += fmt.Sprintf(" reason=%s — %s", r.Reason, why)
	for _, w := range r.Warnings {
		line += " warning=" + string(w)
	}
	if ev.PendingReport {
		if dec.Report == verify.ReportFever {
			line += map[bool]string{true: " [已上报，待转黄]", false: " [reported, pending yellow]"}[lang == "zh"]
		} else {
			line += map[bool]string{true: " [已上报]", false: " [reported]"}[lang == "zh"]
		}
	}
	return line
}

// denyWhy explains a refusal of a valid code: its colour or the fever.
func denyWhy(r verify.Result, dec verify.Decision, lang string) string {
	zh := lang == "zh"
	switch {
	case dec.Report == verify.ReportFever:
		if zh {
			return fmt.Sprintf("体温异常 (≥ %.1f°C)，请勿通行", dec.ThresholdC)
		}
		return fmt.Sprintf("fever (≥ %.1f °C), do not pass", dec.ThresholdC)
	case r.Color == verify.Red:
		if zh {
			return "红码，请勿通行，已通知防疫人员"
		}
		return "red code: do not pass; epidemic-prevention staff notified"
	case r.Color == verify.Yellow:
		if zh {
			return "黄码，请勿通行，建议居家隔离"
		}
		return "yellow code: do not pass; advise home isolation"
	case r.Color == verify.Gray:
		if zh {
			return "灰码，请先完成健康打卡"
		}
		return "gray code: health check-in overdue"
	}
	if zh {
		return "请勿通行"
	}
	return "do not pass"
}

func colorWord(c verify.Color, lang string) string {
	if c == "" {
		return "-"
	}
	if lang != "zh" {
		return string(c)
	}
	switch c {
	case verify.Green:
		return "绿码"
	case verify.Yellow:
		return "黄码"
	case verify.Red:
		return "红码"
	case verify.Gray:
		return "灰码"
	}
	return string(c)
}

func person(r verify.Result) string {
	if r.Name == "" && r.IDMasked == "" {
		return "-"
	}
	return r.Name + " " + r.IDMasked
}

// jsonDisplay writes one JSON object per event, for gate controllers.
type jsonDisplay struct {
	mu  gosync.Mutex
	enc *json.Encoder
}

func newJSONDisplay(w io.Writer) *jsonDisplay {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonDisplay{enc: enc}
}

func (d *jsonDisplay) Show(ev ui.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.enc.Encode(ev) // a closed pipe to a gate controller must not stop the scan loop
}

// teeDisplay shows every event on several displays (the text display and the
// preview window).
type teeDisplay []ui.Display

func (t teeDisplay) Show(ev ui.Event) {
	for _, d := range t {
		d.Show(ev)
	}
}
