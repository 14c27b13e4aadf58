package tui

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// newTestModel is a model whose submitted lines are collected.
func newTestModel(t *testing.T, accept bool) (*model, *[]string) {
	t.Helper()
	var sent []string
	m := newModel(Options{Lang: "zh", Site: verify.SiteRoad, HoldFor: time.Second, Now: func() time.Time { return time.Date(2020, 2, 10, 8, 0, 0, 0, time.UTC) }},
		lipgloss.NewRenderer(io.Discard), func(s string) bool {
			if accept {
				sent = append(sent, s)
			}
			return accept
		})
	return m, &sent
}

func decided(res verify.Result, dec verify.Decision, pending bool) tea.Msg {
	return eventMsg(ui.Event{Kind: ui.KindDecided, Result: res, Decision: dec, PendingReport: pending})
}

var (
	green = verify.Result{Valid: true, Reason: verify.ReasonOK, Color: verify.Green, Name: "张*三"}
	fever = verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportFever, TemperatureC: 38.5, ThresholdC: 37.3}
	pass  = verify.Decision{Verdict: verify.VerdictPass, TemperatureC: 36.5, ThresholdC: 37.3}
)

func keys(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestAutoClear(t *testing.T) {
	tests := []struct {
		name      string
		dec       verify.Decision
		hold      bool
		wantClear bool
	}{
		{name: "pass clears", dec: pass, wantClear: true},
		{name: "held pass stays", dec: pass, hold: true, wantClear: false},
		{name: "fever stays until confirmed", dec: fever, wantClear: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestModel(t, true)
			m.Update(decided(green, tc.dec, false))
			gen := m.gen
			if tc.hold {
				m.Update(tea.KeyMsg{Type: tea.KeySpace})
			}
			m.Update(clearMsg{gen: gen})
			if got := m.screen == screenIdle; got != tc.wantClear {
				t.Errorf("cleared = %v, want %v", got, tc.wantClear)
			}
		})
	}
}

func TestClearOfPreviousPersonIgnored(t *testing.T) {
	m, _ := newTestModel(t, true)
	m.Update(decided(green, pass, false))
	old := m.gen
	m.Update(decided(green, pass, false))
	m.Update(clearMsg{gen: old})
	if m.screen != screenVerdict {
		t.Fatalf("the first person's timer cleared the second person's verdict")
	}
}

func TestFeverConfirm(t *testing.T) {
	tests := []struct {
		name    string
		keys    []tea.KeyMsg
		idle    bool
		wantOut []string
	}{
		{name: "Enter confirms", keys: []tea.KeyMsg{{Type: tea.KeyEnter}}, idle: true},
		{name: "F confirms", keys: []tea.KeyMsg{keys("F")}, idle: true},
		{name: "f confirms", keys: []tea.KeyMsg{keys("f")}, idle: true},
		{name: "Esc does not", keys: []tea.KeyMsg{{Type: tea.KeyEsc}}, idle: false},
		{name: "a scan does not, nor is it sent", keys: []tea.KeyMsg{keys("eyJFoo"), {Type: tea.KeyEnter}}, idle: false},
		{name: "a scan starting with F does not", keys: []tea.KeyMsg{keys("Fab"), {Type: tea.KeyEnter}}, idle: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, sent := newTestModel(t, true)
			m.Update(decided(green, fever, true))
			for _, k := range tc.keys {
				m.Update(k)
			}
			if got := m.screen == screenIdle; got != tc.idle {
				t.Errorf("idle = %v, want %v", got, tc.idle)
			}
			if len(*sent) != 0 {
				t.Errorf("sent %q during an unconfirmed fever", *sent)
			}
		})
	}
}

func TestLinesSent(t *testing.T) {
	verified := eventMsg(ui.Event{Kind: ui.KindVerified, Result: green, Decision: verify.Decision{NeedTemperature: true}})
	tests := []struct {
		name   string
		before []tea.Msg
		typed  []tea.KeyMsg
		want   []string
	}{
		{name: "a scanned code", typed: []tea.KeyMsg{keys("eyJhbGc.x.y"), {Type: tea.KeyEnter}}, want: []string{"eyJhbGc.x.y"}},
		{name: "typed rune by rune", typed: []tea.KeyMsg{keys("a"), keys("b"), {Type: tea.KeyEnter}}, want: []string{"ab"}},
		{name: "backspace edits", typed: []tea.KeyMsg{keys("ab"), {Type: tea.KeyBackspace}, {Type: tea.KeyEnter}}, want: []string{"a"}},
		{name: "an empty Enter sends nothing", typed: []tea.KeyMsg{{Type: tea.KeyEnter}}, want: nil},
		{name: "a temperature", before: []tea.Msg{verified}, typed: []tea.KeyMsg{keys("36.5"), {Type: tea.KeyEnter}}, want: []string{"36.5"}},
		{name: "Esc clears the temperature", before: []tea.Msg{verified}, typed: []tea.KeyMsg{keys("39"), {Type: tea.KeyEsc}, keys("36,8"), {Type: tea.KeyEnter}}, want: []string{"36,8"}},
		{name: "a code is not sent as a temperature", before: []tea.Msg{verified}, typed: []tea.KeyMsg{keys("eyJ1.2"), {Type: tea.KeyEnter}}, want: nil},
		{name: "space inside a line is kept", typed: []tea.KeyMsg{keys("a"), {Type: tea.KeySpace}, keys("b"), {Type: tea.KeyEnter}}, want: []string{"a b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, sent := newTestModel(t, true)
			for _, msg := range tc.before {
				m.Update(msg)
			}
			for _, k := range tc.typed {
				m.Update(k)
			}
			if strings.Join(*sent, "|") != strings.Join(tc.want, "|") {
				t.Errorf("sent %q, want %q", *sent, tc.want)
			}
		})
	}
}

func TestQueueFullIsShown(t *testing.T) {
	m, _ := newTestModel(t, false)
	m.Update(keys("eyJ"))
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(m.View(), "输入过快") {
		t.Errorf("a refused line is not shown:\n%s", m.View())
	}
}

func TestCounters(t *testing.T) {
	m, _ := newTestModel(t, true)
	deny := verify.Decision{Verdict: verify.VerdictDeny}
	for _, msg := range []tea.Msg{
		decided(green, pass, false),
		decided(green, pass, false),
		decided(green, fever, true),
		decided(verify.Result{Valid: true, Color: verify.Yellow}, deny, false),
		decided(verify.Result{Valid: true, Color: verify.Red}, verify.Decision{Verdict: verify.VerdictDeny, Report: verify.ReportRedSighting}, true),
		decided(verify.Result{Valid: true, Color: verify.Gray}, deny, false),
		decided(verify.Result{Reason: verify.ReasonRevoked}, deny, false),
		decided(verify.Result{Reason: verify.ReasonDataTooOld}, deny, false),
	} {
		m.Update(msg)
	}
	want := Counters{Passed: 2, Yellow: 1, Red: 1, Gray: 1, Fevers: 1, Invalid: 2}
	if m.counters != want {
		t.Errorf("counters %+v, want %+v", m.counters, want)
	}
}

func TestPendingYellowUntilOutboxEmpty(t *testing.T) {
	m, _ := newTestModel(t, true)
	m.Update(decided(green, fever, true))
	if !strings.Contains(m.View(), "待转黄") {
		t.Fatalf("no pending yellow:\n%s", m.View())
	}
	m.Update(eventMsg(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true, OutboxWaiting: 1}}))
	if !strings.Contains(m.View(), "待转黄") {
		t.Fatalf("pending yellow gone while the outbox still holds a report:\n%s", m.View())
	}
	m.Update(eventMsg(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true}}))
	if v := m.View(); strings.Contains(v, "待转黄") || !strings.Contains(v, "已上报") {
		t.Fatalf("delivered report still pending:\n%s", v)
	}
}

func TestTemperatureLike(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"36.5", true}, {"36,5", true}, {"37", true}, {"", false}, {"eyJ", false}, {"36.5C", false}, {"123456789", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := temperatureLike(tc.in); got != tc.want {
				t.Errorf("temperatureLike(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestBigText(t *testing.T) {
	for _, w := range []string{"PASS", "FEVER", "YELLOW", "RED", "GRAY", "STALE", "INVALID", "DENIED"} {
		t.Run(w, func(t *testing.T) {
			if rows := bigText(w, 100); len(rows) != 5 {
				t.Errorf("bigText(%q) = %d rows, want 5", w, len(rows))
			}
		})
	}
	if rows := bigText("INVALID", 10); rows != nil {
		t.Errorf("bigText wider than the screen: %q", rows)
	}
}

func TestErrorScreen(t *testing.T) {
	verified := eventMsg(ui.Event{Kind: ui.KindVerified, Result: green, Decision: verify.Decision{NeedTemperature: true}})
	failed := eventMsg(ui.Event{Kind: ui.KindError, Message: "entry not recorded: disk full"})
	tests := []struct {
		name   string
		before []tea.Msg
		want   screen
	}{
		{name: "idle", want: screenError},
		{name: "after a scan", before: []tea.Msg{keys("eyJ"), tea.KeyMsg{Type: tea.KeyEnter}}, want: screenError},
		{name: "after the temperature was sent: not recorded", before: []tea.Msg{verified, keys("36.5"), tea.KeyMsg{Type: tea.KeyEnter}}, want: screenError},
		{name: "while a temperature is still asked", before: []tea.Msg{verified}, want: screenTemp},
		{name: "under a verdict", before: []tea.Msg{decided(green, pass, false)}, want: screenVerdict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestModel(t, true)
			for _, msg := range tc.before {
				m.Update(msg)
			}
			m.Update(failed)
			if m.screen != tc.want {
				t.Fatalf("screen %d, want %d", m.screen, tc.want)
			}
			if !strings.Contains(m.View(), "disk full") {
				t.Errorf("error not on screen:\n%s", m.View())
			}
		})
	}
	m, _ := newTestModel(t, true)
	m.Update(failed)
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if m.screen != screenIdle || strings.Contains(m.View(), "disk full") {
		t.Errorf("Enter did not dismiss the error:\n%s", m.View())
	}
}

func TestHideID(t *testing.T) {
	m, _ := newTestModel(t, true)
	m.hideID = true
	m.Update(decided(verify.Result{Valid: true, Color: verify.Green, Name: "张*三", IDMasked: "4501**********1234"}, pass, false))
	if v := m.View(); !strings.Contains(v, "张*三") || strings.Contains(v, "4501**") {
		t.Errorf("HideID:\n%s", v)
	}
}

// TestSourceLostOnStatusLine: while the camera or the scanner gun is away
// the status line says so, and stops saying so when it is back.
func TestSourceLostOnStatusLine(t *testing.T) {
	m, _ := newTestModel(t, true)
	for _, tc := range []struct{ lost, want string }{
		{ui.LostCamera, "摄像头断开"},
		{ui.LostScannerGun, "扫码枪断开"},
	} {
		m.Update(eventMsg(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true, SourceLost: tc.lost}}))
		if !strings.Contains(m.View(), tc.want) {
			t.Errorf("%s away: no %q on\n%s", tc.lost, tc.want, m.View())
		}
	}
	m.Update(eventMsg(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true}}))
	if v := m.View(); strings.Contains(v, "断开") {
		t.Errorf("device back, still said lost:\n%s", v)
	}
	m.Update(eventMsg(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true, SourceLost: ui.LostCamera, ThermometerLost: true}}))
	if v := m.View(); !strings.Contains(v, "体温枪断开") || !strings.Contains(v, "摄像头断开") {
		t.Errorf("camera and thermometer away, not both said:\n%s", v)
	}
}
