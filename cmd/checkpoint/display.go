package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	gosync "sync"

	"yanma/cmd/checkpoint/internal/i18n"
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
	lastLost   string // the device the last status said was away
	lastThermo bool   // the last status said the thermometer was away
}

// thermoLine says that the thermometer went away (temperatures are then
// typed) or is back.
func thermoLine(away, zh bool) string {
	switch {
	case away && zh:
		return "体温枪断开，请手动输入体温"
	case away:
		return "thermometer lost, type temperatures"
	case zh:
		return "体温枪已恢复"
	default:
		return "thermometer back"
	}
}

// lostLine says that the scanning device now is away, or that was is back.
func lostLine(now, was string, zh bool) string {
	gun := now == ui.LostScannerGun || now == "" && was == ui.LostScannerGun
	switch {
	case now != "" && gun && zh:
		return "扫码枪断开，正在重连"
	case now != "" && gun:
		return "scanner gun lost, reconnecting"
	case now != "" && zh:
		return "摄像头断开，正在重连"
	case now != "":
		return "camera lost, reconnecting"
	case gun && zh:
		return "扫码枪已恢复"
	case gun:
		return "scanner gun back"
	case zh:
		return "摄像头已恢复"
	default:
		return "camera back"
	}
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
		fmt.Fprintf(d.w, "%s %s — %s\n", i18n.Color(ev.Result.Color, d.lang), person(ev.Result), prompt)
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
			line = statusLine(s, zh)
		}
		if line != d.lastStatus && line != "" {
			fmt.Fprintln(d.w, line)
		}
		d.lastStatus = line
		if s.SourceLost != d.lastLost {
			fmt.Fprintln(d.w, lostLine(s.SourceLost, d.lastLost, zh))
			d.lastLost = s.SourceLost
		}
		if s.ThermometerLost != d.lastThermo {
			fmt.Fprintln(d.w, thermoLine(s.ThermometerLost, zh))
			d.lastThermo = s.ThermometerLost
		}
	case ui.KindError:
		fmt.Fprintf(d.w, "ERROR %s\n", ev.Message)
	}
}

// statusLine is one short line, in the officer's language, of what is
// wrong, in the words of the full-screen status bar. The sync error itself
// (a Go error chain, often several lines of URL and socket) is for the
// installer: the sync loop logs it on stderr.
func statusLine(s *ui.Status, zh bool) string {
	t := func(zhs, en string) string {
		if zh {
			return zhs
		}
		return en
	}
	parts := []string{t("离线", "offline")}
	if s.Online {
		parts[0] = t("在线", "online")
	}
	if s.LastError != "" {
		parts = append(parts, t("同步失败", "sync failed"))
	}
	if s.ClockWarning {
		parts = append(parts, t("时钟异常", "clock wrong"))
	}
	parts = append(parts, fmt.Sprintf(t("待上报 %d", "to send %d"), s.OutboxWaiting))
	return t("状态：", "status: ") + strings.Join(parts, " · ")
}

// verdictLine is the line an officer reads for one person: the verdict in
// the words of the full-screen banner, the colour, who, the temperature, the
// reason, and what to do.
func verdictLine(ev ui.Event, lang string) string {
	r, dec := ev.Result, ev.Decision
	outcome := i18n.OfEvent(ev)
	b := i18n.BannerOf(outcome)
	word := b.Zh
	if i18n.English(lang) {
		word = b.En
	}
	verdict := "DENY"
	if dec.Verdict == verify.VerdictPass {
		verdict = "PASS"
	}
	line := verdict + " " + b.Symbol
	if word != verdict {
		line += " " + word
	}
	line += " ·"
	if c := i18n.Color(r.Color, lang); r.Color != "" && !strings.EqualFold(c, word) {
		line += " " + c
	}
	if p := person(r); p != "-" {
		line += " " + p
	}
	if dec.TemperatureC > 0 {
		line += fmt.Sprintf(" %.1f°C", dec.TemperatureC)
	}
	line += " — " + i18n.Explain(outcome, r.Reason, lang) + " reason=" + string(r.Reason)
	for _, w := range r.Warnings {
		line += " warning=" + string(w)
	}
	if ev.Message != "" {
		line += " (" + ev.Message + ")"
	}
	if ev.PendingReport {
		state := "待上报"
		if i18n.English(lang) {
			state = "pending"
		}
		line += " [" + i18n.Report(dec.Report, lang) + ": " + state + "]"
	}
	return line
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
