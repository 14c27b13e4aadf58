package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// bannerColors are background/foreground pairs (ANSI 256) chosen so each
// banner also differs in brightness, not only in hue.
var bannerColors = map[i18n.Outcome][2]string{
	i18n.Pass:    {"28", "15"},
	i18n.Fever:   {"208", "16"},
	i18n.Yellow:  {"220", "16"},
	i18n.Red:     {"160", "15"},
	i18n.Gray:    {"246", "16"},
	i18n.Stale:   {"93", "15"},
	i18n.Invalid: {"163", "15"},
	i18n.Denied:  {"160", "15"},
}

func (m *model) View() string {
	w := max(m.width, 40)
	top := strings.Join(append([]string{m.header(w), m.banner(w)}, m.details(w)...), "\n")
	bottom := []string{m.inputLine(), m.hint(), rule(w), m.countersLine(), m.statusLine()}
	if m.errMsg != "" && m.screen != screenError {
		bottom = append([]string{" " + m.r.NewStyle().Bold(true).Foreground(lipgloss.Color("196")).Render("⚠ "+m.errMsg)}, bottom...)
	}
	var b strings.Builder
	b.WriteString(top)
	b.WriteByte('\n')
	for gap := m.height - lipgloss.Height(top) - len(bottom); gap > 0; gap-- {
		b.WriteByte('\n')
	}
	clip := m.r.NewStyle().MaxWidth(w)
	for i, l := range bottom {
		b.WriteString(clip.Render(l))
		if i < len(bottom)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func rule(w int) string { return strings.Repeat("─", w) }

func (m *model) header(w int) string {
	left := fmt.Sprintf(" 验码 yanma · %s", i18n.Site(m.site, m.lang))
	right := m.clock.Format("2006-01-02 15:04:05") + " "
	pad := max(w-lipgloss.Width(left)-lipgloss.Width(right), 1)
	return m.r.NewStyle().Bold(true).Render(left + strings.Repeat(" ", pad) + right)
}

// banner is five rows high: the symbol and words large enough to read from
// a step away, and one line under them.
func (m *model) banner(w int) string {
	var b i18n.Banner
	colors := [2]string{"238", "15"}
	var sub string
	switch m.screen {
	case screenIdle:
		b = i18n.Banner{Symbol: "▣", Zh: "请出示健康码", En: "SHOW YOUR CODE"}
	case screenWorking:
		b = i18n.Banner{Symbol: "…", Zh: "核验中", En: "CHECKING"}
	case screenTemp:
		b = i18n.Banner{Symbol: "◎", Zh: "请测体温", En: "MEASURE TEMPERATURE"}
		colors = [2]string{"25", "15"}
		sub = i18n.Color(m.last.Result.Color, m.lang) + " · " + m.t("有效", "valid")
	case screenError:
		b = i18n.Banner{Symbol: "⚠", Zh: "故障", En: "ERROR"}
		colors = [2]string{"196", "15"}
		sub = m.errMsg
	case screenVerdict:
		b = i18n.BannerOf(m.outcome)
		colors = bannerColors[m.outcome]
		sub = m.verdictSub()
	}
	words := spaced(b.Zh)
	if m.lang == "en" {
		words = b.En + "   " + b.Zh
	} else {
		words += "   " + b.En
	}
	text := b.Symbol + "  " + words
	// The verdict's word in block letters when the screen has room; the
	// line under it keeps symbol and both languages for every reader.
	if big := bigText(b.En, w-4); (m.screen == screenVerdict || m.screen == screenError) && m.height >= 24 && big != nil {
		text = m.blockRows(big) + "\n\n" + text
	}
	style := m.r.NewStyle().Bold(true).Width(w).Align(lipgloss.Center).Padding(1, 0).
		Background(lipgloss.Color(colors[0])).Foreground(lipgloss.Color(colors[1]))
	return style.Render(text + "\n" + sub)
}

// blockRows pads the block letters to one width so that centring keeps
// their columns aligned.
func (m *model) blockRows(rows []string) string {
	w := 0
	for _, r := range rows {
		w = max(w, len([]rune(r)))
	}
	for i, r := range rows {
		rows[i] = r + strings.Repeat(" ", w-len([]rune(r)))
	}
	return strings.Join(rows, "\n")
}

// spaced puts a space between CJK characters so the words read larger.
func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

func (m *model) verdictSub() string {
	r, d := m.last.Result, m.last.Decision
	var parts []string
	if r.Color != "" {
		parts = append(parts, i18n.Color(r.Color, m.lang))
	}
	if d.TemperatureC > 0 {
		t := fmt.Sprintf("%.1f °C", d.TemperatureC)
		if m.outcome == i18n.Fever && d.ThresholdC > 0 {
			t += fmt.Sprintf(" ≥ %.1f °C", d.ThresholdC)
		}
		parts = append(parts, t)
	}
	parts = append(parts, i18n.Advice(m.outcome, m.lang))
	return strings.Join(parts, " · ")
}

func (m *model) details(w int) []string {
	if m.screen == screenIdle || m.screen == screenError {
		return nil
	}
	label := m.r.NewStyle().Foreground(lipgloss.Color("244")).Width(m.labelWidth())
	value := m.r.NewStyle().Bold(true)
	row := func(l, v string) string { return " " + label.Render(l) + value.Render(v) }
	r, d := m.last.Result, m.last.Decision
	var out []string
	if r.Name != "" || r.IDMasked != "" {
		who := orDash(r.Name)
		if !m.hideID {
			who += "    " + label.Render(m.t("证件", "ID")) + value.Render(orDash(r.IDMasked))
		}
		out = append(out, row(m.t("姓名", "Name"), who))
	}
	if r.IssuerName != "" || r.Issuer != "" {
		iss := r.IssuerName
		if r.Issuer != "" {
			iss = strings.TrimSpace(iss + " (" + r.Issuer + ")")
		}
		out = append(out, row(m.t("签发", "Issuer"), iss))
	}
	if m.screen == screenVerdict && d.TemperatureC > 0 {
		out = append(out, row(m.t("体温", "Temp"), fmt.Sprintf("%.1f °C", d.TemperatureC)))
	}
	if m.screen == screenVerdict && r.Reason != verify.ReasonOK && r.Reason != "" {
		out = append(out, row(m.t("原因", "Reason"), r.Reason.Message(m.lang)))
	}
	for _, wn := range r.Warnings {
		out = append(out, " "+m.r.NewStyle().Bold(true).Foreground(lipgloss.Color("208")).Render("⚠ "+warning(wn, m.lang)))
	}
	if m.screen == screenVerdict {
		if l := m.reportLine(); l != "" {
			out = append(out, l)
		}
		if m.last.Message != "" { // attendance at enterprise gates
			out = append(out, " "+m.r.NewStyle().Bold(true).Render("ⓘ "+m.last.Message))
		}
	}
	if m.screen == screenTemp && m.rejected != "" {
		out = append(out, " "+m.r.NewStyle().Bold(true).Foreground(lipgloss.Color("208")).Render(
			fmt.Sprintf(m.t("⚠ 体温 %q 无效（%.1f–%.1f °C），请重新测温", "⚠ temperature %q is not plausible (%.1f–%.1f °C): measure again"),
				m.rejected, verify.MinPlausibleC, verify.MaxPlausibleC)))
	}
	out = append([]string{""}, out...)
	return out
}

func (m *model) labelWidth() int {
	if m.lang == "en" {
		return 8
	}
	return 6
}

func (m *model) reportLine() string {
	if m.last.Decision.Report == verify.ReportNone {
		return ""
	}
	st := m.r.NewStyle().Bold(true)
	if m.pendingReport {
		if m.last.Decision.Report == verify.ReportFever {
			return " " + st.Foreground(lipgloss.Color("208")).Render(m.t("▲ 待转黄：体温异常已记录，尚未送达上级平台", "▲ pending yellow (待转黄): fever recorded, not yet delivered upstream"))
		}
		return " " + st.Foreground(lipgloss.Color("208")).Render(m.t("▲ 红码目击已记录，待上报", "▲ red sighting recorded, waiting to be sent"))
	}
	return " " + st.Render(m.t("✔ 已上报上级平台", "✔ reported upstream"))
}

func (m *model) inputLine() string {
	switch {
	case m.screen == screenTemp:
		return fmt.Sprintf(" %s › %s▏°C", m.t("体温", "Temperature"), string(m.buf))
	case len(m.buf) > 0:
		return fmt.Sprintf(" %s %d", m.t("读取中… 字符", "reading… chars"), len(m.buf))
	case m.note != "":
		return " " + m.r.NewStyle().Bold(true).Foreground(lipgloss.Color("208")).Render(m.note)
	}
	return ""
}

func (m *model) hint() string {
	var h string
	switch {
	case m.screen == screenTemp:
		h = m.t("数字键输入体温 · Enter 确认 · Esc 清除重测", "type the temperature · Enter confirm · Esc clear, re-measure")
		if m.thermo {
			h = m.t("用测温枪测温，或数字键输入后 Enter · Esc 清除重测", "measure with the thermometer, or type and press Enter · Esc clear, re-measure")
		}
		if m.tempSent {
			h = m.t("核对体温中…", "checking the temperature…")
		}
		if m.note != "" {
			h = m.note
		}
	case m.screen == screenVerdict && m.feverToAck:
		h = m.t("体温异常：按 Enter 或 F 确认", "fever: press Enter or F to confirm")
		if m.note != "" {
			h = m.note
		}
	case m.screen == screenError:
		h = m.t("Enter 知道了 · 扫码继续", "Enter dismiss · scan to go on")
	case m.screen == screenVerdict && m.held:
		h = m.t("⏸ 已保持 · Space 继续 · Enter 下一位", "⏸ held · Space release · Enter next")
	case m.screen == screenVerdict:
		h = m.t("Space 保持 · Enter 下一位", "Space hold · Enter next")
	default:
		h = m.t("扫码枪扫码或输入后按 Enter · Ctrl+C 退出", "scan, or type and press Enter · Ctrl+C quit")
	}
	return " " + m.r.NewStyle().Foreground(lipgloss.Color("244")).Render(h)
}

func (m *model) countersLine() string {
	c := m.counters
	return fmt.Sprintf(" %s  %s %d · %s %d · %s %d · %s %d · %s %d · %s %d",
		m.t("本班", "Shift"),
		m.t("通行", "passed"), c.Passed,
		m.t("黄码", "yellow"), c.Yellow,
		m.t("红码", "red"), c.Red,
		m.t("灰码", "gray"), c.Gray,
		m.t("发热", "fever"), c.Fevers,
		m.t("无效", "invalid"), c.Invalid)
}

// staleAfter is when the status line calls the terminal's data too old: the
// protocol's default max_offline_hours.
const staleAfter = verify.DefaultMaxOfflineHours * time.Hour

func (m *model) statusLine() string {
	s := m.status
	if s == nil {
		return " " + m.t("状态未知", "status unknown")
	}
	warn := m.r.NewStyle().Bold(true).Foreground(lipgloss.Color("196"))
	var parts []string
	// First: while the camera or the scanner gun is away, no code is read.
	switch s.SourceLost {
	case "":
	case ui.LostScannerGun:
		parts = append(parts, warn.Render("⚠ "+m.t("扫码枪断开，正在重连", "scanner gun lost, reconnecting")))
	default:
		parts = append(parts, warn.Render("⚠ "+m.t("摄像头断开，正在重连", "camera lost, reconnecting")))
	}
	if s.ThermometerLost {
		parts = append(parts, warn.Render("⚠ "+m.t("体温枪断开，请手动输入体温", "thermometer lost, type temperatures")))
	}
	if s.Online {
		parts = append(parts, m.r.NewStyle().Foreground(lipgloss.Color("34")).Render("● "+m.t("在线", "online")))
	} else {
		parts = append(parts, warn.Render("○ "+m.t("离线", "offline")))
	}
	age := func(label string, t time.Time) string {
		txt := label + " " + m.ago(t)
		if t.IsZero() || m.clock.Sub(t) > staleAfter {
			return warn.Render("⚠ " + txt)
		}
		return txt
	}
	parts = append(parts, age(m.t("信任列表", "trust"), s.TrustAsOf), age(m.t("吊销", "revocations"), s.RevocationsAsOf))
	out := fmt.Sprintf("%s %d", m.t("待上报", "to send"), s.OutboxWaiting)
	if s.OutboxWaiting > 0 && !s.OutboxOldest.IsZero() {
		out += fmt.Sprintf(" (%s %s)", m.t("最早", "oldest"), m.ago(s.OutboxOldest))
	}
	parts = append(parts, out)
	if s.ClockWarning {
		parts = append(parts, warn.Render("⚠ "+m.t("时钟异常", "clock wrong")))
	}
	if s.LastError != "" {
		parts = append(parts, warn.Render("⚠ "+m.t("同步失败", "sync failed")))
	}
	return " " + strings.Join(parts, " · ")
}

// ago says how long ago t was, in the officer's words.
func (m *model) ago(t time.Time) string {
	if t.IsZero() {
		return m.t("无", "none")
	}
	d := m.clock.Sub(t)
	switch {
	case d < time.Minute:
		return m.t("刚刚", "just now")
	case d < time.Hour:
		return fmt.Sprintf(m.t("%d分钟前", "%d min ago"), int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf(m.t("%d小时前", "%d h ago"), int(d/time.Hour))
	}
	return fmt.Sprintf(m.t("%d天前", "%d d ago"), int(d/(24*time.Hour)))
}

func warning(w verify.Warning, lang string) string {
	en := lang == "en"
	switch w {
	case verify.WarnClockBehind, verify.WarnClockSkew:
		if en {
			return "terminal clock looks wrong"
		}
		return "本机时钟异常"
	case verify.WarnStaleData:
		if en {
			return "data out of date: passed by site setting"
		}
		return "本机数据过期，按站点设置放行"
	case verify.WarnNoRevocationData:
		if en {
			return "no revocation data yet"
		}
		return "尚无吊销数据"
	}
	return string(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
