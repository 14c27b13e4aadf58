package tui

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// screen is what the banner shows.
type screen int

const (
	screenIdle    screen = iota // waiting for the next person
	screenWorking               // a line went to the scan loop, no answer yet
	screenTemp                  // a valid code waits for a temperature
	screenVerdict               // a decided verdict
	screenError                 // something the officer must know (KindError)
)

// maxLine bounds the line buffer: far above any QR text (verify calls
// anything over 4 KiB too_large), far below memory trouble.
const maxLine = 64 << 10

// maxTempLen bounds what the temperature field shows.
const maxTempLen = 8

type (
	eventMsg ui.Event
	clearMsg struct{ gen int }
	tickMsg  time.Time
)

// model is the screen's state; only the bubbletea event loop touches it.
type model struct {
	r       *lipgloss.Renderer
	lang    string
	hideID  bool
	thermo  bool
	site    verify.Site
	holdFor time.Duration
	now     func() time.Time
	submit  func(string) bool

	width, height int

	screen  screen
	last    ui.Event // the person on screen (KindVerified or KindDecided)
	outcome i18n.Outcome
	// rejected is the temperature text the scan loop refused (re-measure).
	rejected string
	// note is a one-line message about the officer's own input.
	note string
	// errMsg is the last KindError, until the next person.
	errMsg string

	tempSent      bool // a temperature went to the scan loop, no answer yet
	held          bool // Space: keep the verdict on screen
	feverToAck    bool // a fever stays until the officer confirms it
	pendingReport bool // the report has not yet reached the upstream
	gen           int  // which auto-clear timer is current

	buf []rune // the line being typed

	status   *ui.Status
	counters Counters
	clock    time.Time
}

func newModel(opts Options, r *lipgloss.Renderer, submit func(string) bool) *model {
	return &model{
		r:    r,
		lang: opts.Lang, hideID: opts.HideID, thermo: opts.Thermometer, site: opts.Site, holdFor: opts.HoldFor, now: opts.Now, submit: submit,
		width: 80, height: 24, counters: opts.Counters, clock: opts.Now(),
	}
}

func (m *model) Init() tea.Cmd { return tick() }

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		m.clock = m.now()
		return m, tick()
	case clearMsg:
		if msg.gen == m.gen && m.screen == screenVerdict && !m.held && !m.feverToAck {
			m.toIdle()
		}
	case eventMsg:
		return m, m.onEvent(ui.Event(msg))
	case tea.KeyMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}

func (m *model) toIdle() {
	m.screen = screenIdle
	m.last = ui.Event{}
	m.held, m.feverToAck, m.pendingReport, m.tempSent = false, false, false, false
	m.rejected, m.note, m.errMsg = "", "", ""
}

func (m *model) clearLater() tea.Cmd {
	m.gen++
	gen := m.gen
	return tea.Tick(m.holdFor, func(time.Time) tea.Msg { return clearMsg{gen: gen} })
}

func (m *model) onEvent(ev ui.Event) tea.Cmd {
	m.clock = m.now()
	switch ev.Kind {
	case ui.KindStatus:
		if ev.Status != nil {
			s := *ev.Status
			m.status = &s
			// An empty outbox means every report, this person's too, has
			// reached the upstream: the yellow is no longer pending.
			if s.OutboxWaiting == 0 {
				m.pendingReport = false
			}
		}
		return nil
	case ui.KindError:
		m.errMsg = ev.Message
		switch {
		case m.screen == screenVerdict:
			// A verdict stays readable; the error shows beneath it.
		case m.screen == screenTemp && !m.tempSent:
			// The scan loop still waits for this person's temperature.
		default:
			// The person in progress was not recorded (or no one was):
			// the officer must see it, large, instead of a verdict.
			m.screen = screenError
			m.tempSent = false
		}
		return nil
	case ui.KindVerified:
		m.last, m.errMsg, m.note, m.rejected = ev, "", "", ""
		m.held, m.feverToAck, m.pendingReport, m.tempSent = false, false, false, false
		m.gen++ // a pending auto-clear belongs to the previous person
		if ev.Decision.NeedTemperature {
			m.screen = screenTemp
			m.buf = m.buf[:0]
		} else {
			m.screen = screenWorking // KindDecided follows at once
		}
		return nil
	case ui.KindTemperatureRejected:
		m.last.Result, m.last.Decision = ev.Result, ev.Decision
		m.screen = screenTemp
		m.tempSent = false
		m.rejected = ev.Input
		m.buf = m.buf[:0]
		return nil
	case ui.KindDecided:
		m.last, m.note, m.rejected = ev, "", ""
		m.screen, m.tempSent = screenVerdict, false
		m.outcome = i18n.OfEvent(ev)
		m.pendingReport = ev.PendingReport
		m.held = false
		m.count(m.outcome)
		m.feverToAck = m.outcome == i18n.Fever
		if m.feverToAck {
			m.gen++
			return nil
		}
		return m.clearLater()
	}
	return nil
}

func (m *model) count(o i18n.Outcome) {
	switch o {
	case i18n.Pass:
		m.counters.Passed++
	case i18n.Fever:
		m.counters.Fevers++
	case i18n.Yellow:
		m.counters.Yellow++
	case i18n.Red:
		m.counters.Red++
	case i18n.Gray:
		m.counters.Gray++
	default:
		m.counters.Invalid++
	}
}

func (m *model) onKey(k tea.KeyMsg) tea.Cmd {
	switch k.Type {
	case tea.KeyCtrlC:
		return tea.Quit
	case tea.KeyEnter:
		return m.enter()
	case tea.KeyEsc:
		m.buf = m.buf[:0]
		switch {
		case m.screen == screenTemp:
			m.rejected = ""
			m.note = m.t("已清除，请重新测温", "cleared: measure again")
		case (m.screen == screenVerdict && !m.feverToAck) || m.screen == screenError:
			m.toIdle()
		}
		return nil
	case tea.KeyBackspace, tea.KeyDelete:
		if len(m.buf) > 0 {
			m.buf = m.buf[:len(m.buf)-1]
		}
		return nil
	case tea.KeySpace:
		if len(m.buf) == 0 {
			// A late Space (the verdict already cleared) must not start
			// the next line: no code begins with a blank.
			if m.screen == screenVerdict {
				return m.toggleHold()
			}
			return nil
		}
		m.typeRunes([]rune{' '})
		return nil
	case tea.KeyRunes:
		// F confirms a fever only as the first key: a QR text from the
		// scanner gun that happens to hold an F must not.
		if len(m.buf) == 0 && m.feverToAck && len(k.Runes) == 1 && (k.Runes[0] == 'f' || k.Runes[0] == 'F') {
			m.toIdle()
			return nil
		}
		m.typeRunes(k.Runes)
		return nil
	}
	return nil
}

func (m *model) toggleHold() tea.Cmd {
	m.held = !m.held
	if m.held || m.feverToAck {
		return nil
	}
	return m.clearLater()
}

func (m *model) typeRunes(rs []rune) {
	if len(m.buf)+len(rs) > maxLine {
		return
	}
	m.buf = append(m.buf, rs...)
}

// enter ends the typed line: a temperature while one is asked for,
// otherwise a QR text; an empty Enter confirms a fever or dismisses.
func (m *model) enter() tea.Cmd {
	line := strings.TrimSpace(string(m.buf))
	m.buf = m.buf[:0]
	switch {
	case m.screen == screenVerdict && m.feverToAck:
		if line == "" {
			m.toIdle()
			return nil
		}
		// The next person waits until the officer has seen the fever.
		m.note = m.t("请先按 Enter 确认体温异常，再扫下一位", "confirm the fever with Enter before the next scan")
		return nil
	case line == "":
		if m.screen == screenVerdict || m.screen == screenError {
			m.toIdle()
		}
		return nil
	case m.screen == screenTemp:
		if !temperatureLike(line) {
			// A code scanned while a temperature is asked for is not sent:
			// the scan loop would take it for a temperature.
			m.note = m.t("正在等待体温，请先完成测温", "a temperature is expected: finish measuring first")
			return nil
		}
		m.rejected, m.note = "", ""
		m.tempSent = m.send(line)
		return nil
	}
	m.note = ""
	if m.send(line) && m.screen != screenVerdict {
		m.screen, m.errMsg = screenWorking, ""
	}
	return nil
}

func (m *model) send(line string) bool {
	if m.submit(line) {
		return true
	}
	m.note = m.t("输入过快，请稍候重扫", "input queue full: scan again in a moment")
	return false
}

// temperatureLike accepts what a keypad can type: digits and one decimal
// separator.
func temperatureLike(s string) bool {
	if s == "" || len(s) > maxTempLen {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ',' {
			return false
		}
	}
	return true
}

func (m *model) t(zh, en string) string {
	if m.lang == "en" {
		return en
	}
	return zh
}
