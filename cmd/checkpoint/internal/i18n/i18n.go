// Package i18n holds the words an officer and a supervisor read, in zh-CN
// (the default) and English, and the one classification of a checkpoint
// outcome that the screen, the sounds, the counters and the exports share,
// so that a fever is called a fever everywhere.
package i18n

import (
	"strings"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// Lang is "zh" or "en"; anything else reads as zh, the default.
type Lang = string

// English reports whether lang asks for English; zh-CN is the default.
func English(lang string) bool { return lang == "en" }

// Outcome is what happened to one person, as an officer names it.
type Outcome string

// Outcomes, one per banner, sound and counter.
const (
	// Pass: go through.
	Pass Outcome = "pass"
	// Fever: a valid green code and a temperature at or above the threshold.
	Fever Outcome = "fever"
	// Yellow, Red, Gray: a valid code of that colour.
	Yellow Outcome = "yellow"
	Red    Outcome = "red"
	Gray   Outcome = "gray"
	// Stale: the terminal cannot judge the code because its own trust data
	// is missing, expired or too old; a manual check is needed.
	Stale Outcome = "stale"
	// Invalid: the code is not authentic, expired, revoked or unreadable.
	Invalid Outcome = "invalid"
	// Denied: refused for a reason none of the above names (kept so that a
	// new rule in verify.Decide never shows as a pass).
	Denied Outcome = "denied"
)

// Classify names the outcome of one decision.
func Classify(valid bool, reason verify.Reason, color verify.Color, verdict verify.Verdict, report verify.ReportKind) Outcome {
	switch {
	case verdict == verify.VerdictPass:
		return Pass
	case report == verify.ReportFever:
		return Fever
	case reason == verify.ReasonDataTooOld || reason == verify.ReasonTrustListExpired || reason == verify.ReasonNoTrustList:
		return Stale
	case !valid:
		return Invalid
	case color == verify.Red:
		return Red
	case color == verify.Yellow:
		return Yellow
	case color == verify.Gray:
		return Gray
	}
	return Denied
}

// OfEvent classifies a KindDecided event.
func OfEvent(ev ui.Event) Outcome {
	return Classify(ev.Result.Valid, ev.Result.Reason, ev.Result.Color, ev.Decision.Verdict, ev.Decision.Report)
}

// Banner is the symbol and the words of an outcome's banner: the symbol and
// the zh word and the English word together, so an officer who cannot tell
// red from green still reads it.
type Banner struct {
	Symbol string // ✔ or ✘ or ⚠
	Zh     string // 请通行
	En     string // PASS
}

var banners = map[Outcome]Banner{
	Pass:    {"✔", "请通行", "PASS"},
	Fever:   {"✘", "体温异常", "FEVER"},
	Yellow:  {"✘", "黄码", "YELLOW"},
	Red:     {"✘", "红码", "RED"},
	Gray:    {"✘", "灰码", "GRAY"},
	Stale:   {"⚠", "数据过期", "STALE"},
	Invalid: {"✘", "无效码", "INVALID"},
	Denied:  {"✘", "请勿通行", "DENIED"},
}

// BannerOf returns an outcome's banner.
func BannerOf(o Outcome) Banner {
	if b, ok := banners[o]; ok {
		return b
	}
	return banners[Denied]
}

// Advice is the one line that tells the officer what to do next.
func Advice(o Outcome, lang string) string {
	en := English(lang)
	switch o {
	case Pass:
		return pick(en, "核对姓名与证件后放行", "check name and ID, then let through")
	case Fever:
		return pick(en, "请勿通行，请复测或引导至发热门诊", "do not pass; re-measure or refer to a fever clinic")
	case Yellow:
		return pick(en, "请勿通行，建议居家隔离", "do not pass; advise home isolation")
	case Red:
		return pick(en, "请勿通行，已通知防疫人员", "do not pass; epidemic-prevention staff notified")
	case Gray:
		return pick(en, "请勿通行，请先完成健康打卡", "do not pass; health check-in overdue")
	case Stale:
		return pick(en, "本机数据过期，请联网同步或人工核验", "this terminal's data is out of date: sync or check manually")
	case Invalid:
		return pick(en, "请人工核验", "check manually")
	}
	return pick(en, "请勿通行", "do not pass")
}

// Explain is why a code was refused and what to do, each said once: some
// reasons already end with the advice ("Unreadable code; check manually"),
// and saying it twice reads as a fault of the terminal. A valid code has
// only the advice.
func Explain(o Outcome, r verify.Reason, lang string) string {
	advice := Advice(o, lang)
	if r == verify.ReasonOK || r == "" {
		return advice
	}
	msg := r.Message(lang)
	if strings.Contains(msg, advice) {
		return msg
	}
	return msg + " · " + advice
}

// Color is the officer's word for a code colour.
func Color(c verify.Color, lang string) string {
	en := English(lang)
	switch c {
	case verify.Green:
		return pick(en, "绿码", "green")
	case verify.Yellow:
		return pick(en, "黄码", "yellow")
	case verify.Red:
		return pick(en, "红码", "red")
	case verify.Gray:
		return pick(en, "灰码", "gray")
	case "":
		return "-"
	}
	return string(c)
}

// Verdict is the word for a verdict.
func Verdict(v verify.Verdict, lang string) string {
	en := English(lang)
	switch v {
	case verify.VerdictPass:
		return pick(en, "通行", "pass")
	case verify.VerdictDeny:
		return pick(en, "拒绝", "deny")
	}
	return "-"
}

// Report is the word for what went upstream.
func Report(k verify.ReportKind, lang string) string {
	en := English(lang)
	switch k {
	case verify.ReportFever:
		return pick(en, "体温异常上报", "fever report")
	case verify.ReportRedSighting:
		return pick(en, "红码上报", "red sighting")
	}
	return pick(en, "无", "none")
}

// Site is the word for a kind of checkpoint.
func Site(s verify.Site, lang string) string {
	en := English(lang)
	switch s {
	case verify.SiteRoad:
		return pick(en, "道路卡口", "road checkpoint")
	case verify.SiteCommunity:
		return pick(en, "社区门岗", "community gate")
	case verify.SiteMall:
		return pick(en, "商场入口", "mall entrance")
	case verify.SiteTransit:
		return pick(en, "公共交通", "transit")
	case verify.SiteEnterprise:
		return pick(en, "企业门岗", "enterprise gate")
	}
	return string(s)
}

// YesNo is 是/否 or yes/no.
func YesNo(b bool, lang string) string {
	if b {
		return pick(English(lang), "是", "yes")
	}
	return pick(English(lang), "否", "no")
}

// Direction is the word for a gate's direction ("in", "out").
func Direction(d string, lang string) string {
	en := English(lang)
	switch d {
	case "in":
		return pick(en, "进", "in")
	case "out":
		return pick(en, "出", "out")
	}
	return d
}

func pick(en bool, zh, english string) string {
	if en {
		return english
	}
	return zh
}
