package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// FuzzKeys types anything at any screen: the display must never panic and
// must always draw, whatever an officer (or a misconfigured scanner gun)
// sends.
func FuzzKeys(f *testing.F) {
	f.Add([]byte("eyJhbGc\r36.5\r"), uint8(0))
	f.Add([]byte("\x1b \x7f\rF\r"), uint8(1))
	f.Add([]byte("45.9\r36,6\r"), uint8(2))
	f.Fuzz(func(t *testing.T, typed []byte, start uint8) {
		m, _ := newTestModel(t, start%2 == 0)
		switch start % 4 {
		case 1:
			m.Update(eventMsg(ui.Event{Kind: ui.KindVerified, Result: green, Decision: verify.Decision{NeedTemperature: true}}))
		case 2:
			m.Update(decided(green, fever, true))
		case 3:
			m.Update(eventMsg(ui.Event{Kind: ui.KindError, Message: string(typed)}))
		}
		for _, b := range typed {
			var k tea.KeyMsg
			switch b {
			case '\r':
				k = tea.KeyMsg{Type: tea.KeyEnter}
			case 0x1b:
				k = tea.KeyMsg{Type: tea.KeyEsc}
			case 0x7f:
				k = tea.KeyMsg{Type: tea.KeyBackspace}
			case ' ':
				k = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
			default:
				k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(string(rune(b)))}
			}
			m.Update(k)
			m.Update(clearMsg{gen: m.gen})
		}
		if m.View() == "" {
			t.Fatal("empty screen")
		}
	})
}
