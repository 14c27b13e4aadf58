package verify

import "strings"

type message struct{ zh, en string }

var reasonMessages = map[Reason]message{
	ReasonOK:               {"有效", "Valid"},
	ReasonMalformed:        {"无法识别的码,请人工核验", "Unreadable code; check manually"},
	ReasonTooLarge:         {"码内容过长,拒绝识别", "Code too long; refused"},
	ReasonAlgNotAllowed:    {"签名算法不允许,码无效", "Signature algorithm not allowed; invalid"},
	ReasonUnknownIssuer:    {"签发平台不在信任列表中", "Issuing platform not trusted"},
	ReasonUnknownKey:       {"签发密钥未知或已停用", "Unknown or retired signing key"},
	ReasonBadSignature:     {"签名无效,疑似伪造", "Bad signature: possibly forged"},
	ReasonExpired:          {"健康码已过期,请刷新", "Code expired; ask for a fresh one"},
	ReasonNotYetValid:      {"健康码尚未生效(请核对本机时间)", "Code not yet valid (check this terminal's clock)"},
	ReasonRevoked:          {"健康码已作废,请出示最新的码", "Code revoked; ask for the current code"},
	ReasonMissingProof:     {"缺少手机实时校验,请在手机上打开码", "Live proof missing; open the code on the phone"},
	ReasonBadProof:         {"实时校验不匹配,疑似截图或拼接", "Live proof does not match: possibly copied"},
	ReasonStaleProof:       {"实时校验已过期,疑似截图,请刷新", "Live proof too old: possibly a screenshot; refresh"},
	ReasonNoTrustList:      {"本机尚无信任列表,无法验码", "No trust list on this terminal; cannot verify"},
	ReasonTrustListExpired: {"信任列表已过期,请联网同步", "Trust list expired; sync this terminal"},
	ReasonDataTooOld:       {"无法校验:本机数据过旧,请联网同步", "Cannot validate: data too old; sync this terminal"},
	ReasonLookupFailed:     {"本机数据读取失败,请人工核验", "Local data could not be read; check manually"},
}

var warningMessages = map[Warning]message{
	WarnClockBehind:      {"本机时间早于已收到的数据,请校准时钟", "Terminal clock is behind data it holds; set the clock"},
	WarnClockSkew:        {"本机时间与平台相差过大,请校准时钟", "Terminal clock far from the platform's; set the clock"},
	WarnStaleData:        {"数据过旧,按本点设置放行,请尽快同步", "Data too old, accepted by site setting; sync soon"},
	WarnNoRevocationData: {"尚未收到作废名单", "No revocation list received yet"},
}

func pick(m message, lang string, fallback string) string {
	if m.zh == "" {
		return fallback
	}
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		return m.zh
	}
	return m.en
}

// Message is the officer-facing text for a reason: zh-CN for lang "zh"
// (or "zh-CN", "zh_Hans", …), English otherwise. An unknown reason is
// returned as its code.
func (r Reason) Message(lang string) string { return pick(reasonMessages[r], lang, string(r)) }

// Message is the officer-facing text for a warning, like Reason.Message.
func (w Warning) Message(lang string) string { return pick(warningMessages[w], lang, string(w)) }
