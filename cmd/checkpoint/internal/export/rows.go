package export

import (
	"strconv"
	"strings"

	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/store"
	"yanma/verify"
)

// header is the record columns a supervisor expects, in their order.
func header(lang string) []string {
	if i18n.English(lang) {
		return []string{"time", "site", "name (masked)", "ID (masked)", "colour", "temperature (°C)", "verdict", "reason", "reported", "issuer", "record id"}
	}
	return []string{"时间", "站点", "姓名（脱敏）", "证件号（脱敏）", "码色", "体温（℃）", "结果", "原因", "上报", "签发地", "记录编号"}
}

// row is one entry as the columns of header; times in o's location.
func (o Options) row(e store.Entry) []string {
	temp := ""
	if e.TemperatureC > 0 {
		temp = strconv.FormatFloat(e.TemperatureC, 'f', 1, 64)
	}
	return []string{
		e.Time.In(o.loc()).Format("2006-01-02 15:04:05"),
		site(e, o.Lang),
		e.Name,
		e.IDMasked,
		i18n.Color(e.Color, o.Lang),
		temp,
		i18n.Verdict(e.Verdict, o.Lang),
		reason(e, o.Lang),
		reported(e.Report, o.Lang),
		e.Issuer,
		e.ID,
	}
}

// site names the checkpoint, with the direction at gates that record both.
func site(e store.Entry, lang string) string {
	s := i18n.Site(e.Site, lang)
	if e.Direction == "" {
		return s
	}
	if i18n.English(lang) {
		return s + " (" + i18n.Direction(e.Direction, lang) + ")"
	}
	return s + "（" + i18n.Direction(e.Direction, lang) + "）"
}

// reason says why a person was refused: the verification reason for a code
// that was not accepted, else the colour or the fever.
func reason(e store.Entry, lang string) string {
	out := Outcome(e)
	switch {
	case out == i18n.Pass:
		return ""
	case !e.Valid || out == i18n.Stale:
		return e.Reason.Message(lang)
	}
	b := i18n.BannerOf(out)
	if i18n.English(lang) {
		return strings.ToLower(b.En)
	}
	return b.Zh
}

func reported(k verify.ReportKind, lang string) string {
	if k == verify.ReportNone {
		return i18n.YesNo(false, lang)
	}
	return i18n.Report(k, lang)
}

// summaryHeader is the daily summary's columns.
func summaryHeader(lang string) []string {
	if i18n.English(lang) {
		return []string{"date", "total", "passed", "denied by colour", "yellow", "red", "gray", "fevers", "invalid"}
	}
	return []string{"日期", "总数", "通行", "码色拒绝", "黄码", "红码", "灰码", "发热", "无效"}
}

func (d Day) cells() []any {
	return []any{d.Date, d.Total, d.Passed, d.Denied(), d.Yellow, d.Red, d.Gray, d.Fevers, d.Invalid}
}

func attendanceHeader(lang string) []string {
	if i18n.English(lang) {
		return []string{"date", "first arrival", "name (masked)", "ID (masked)", "colour", "temperature (°C)", "verdict", "late"}
	}
	return []string{"日期", "首次到达", "姓名（脱敏）", "证件号（脱敏）", "码色", "体温（℃）", "结果", "迟到"}
}

func (o Options) attendanceRow(a Arrival) []string {
	r := o.row(a.Entry)
	late := ""
	if a.Late {
		late = i18n.YesNo(true, o.Lang)
	}
	return []string{a.Date, a.Entry.Time.In(o.loc()).Format("15:04:05"), r[2], r[3], r[4], r[5], r[6], late}
}
