package tui

import (
	"os"
	"strings"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/tmuxtest"
)

// startDemo runs this test binary as the demo program in a 100×30 tmux pane.
func startDemo(t *testing.T, env ...string) *tmuxtest.Session {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := tmuxtest.Start(t, 100, 30, append([]string{"YANMA_TUI_DEMO=1"}, env...), exe, "-test.run=^$")
	s.WaitFor(idle)
	return s
}

const idle = "请 出 示 健 康 码"

// TestScreenZh walks an officer through one person of each kind on the
// default zh-CN screen: what the officer types, what the screen must say.
func TestScreenZh(t *testing.T) {
	t.Parallel()
	s := startDemo(t, "YANMA_TUI_HOLD=1h")
	tests := []struct {
		name  string
		lines []string // typed, each followed by Enter
		want  []string
		not   []string
	}{
		{name: "status line on start", want: []string{"○ 离线", "⚠ 信任列表 4天前", "吊销 5分钟前", "待上报 2 (最早 12分钟前)", "道路卡口"}},
		{name: "green asks for a temperature", lines: []string{"GREEN-ZHANG"},
			want: []string{"◎  请 测 体 温", "绿码", "张*三", "4501**********1234", "广西健康码 (450000)", "体温 ›"}},
		{name: "implausible reading asks to re-measure", lines: []string{"45.9"},
			want: []string{"请 测 体 温", `体温 "45.9" 无效`, "请重新测温"}, not: []string{"FEVER"}},
		{name: "a scan while a temperature is asked is not taken for one", lines: []string{"YELLOW-LI"},
			want: []string{"正在等待体温，请先完成测温", "请 测 体 温"}},
		{name: "normal temperature passes", lines: []string{"36.6"},
			want: []string{"✔  请 通 行   PASS", "36.6 °C", "张*三", "核对姓名与证件后放行", "通行 1 "}},
		{name: "Enter clears for the next person", lines: []string{""}, want: []string{idle}, not: []string{"PASS"}},
		{name: "yellow", lines: []string{"YELLOW-LI"},
			want: []string{"✘  黄 码   YELLOW", "李*", "建议居家隔离", "黄码 1 "}},
		{name: "gray", lines: []string{"GRAY-ZHAO"},
			want: []string{"✘  灰 码   GRAY", "请先完成健康打卡", "灰码 1 "}},
		{name: "forged code is invalid with its reason", lines: []string{"FORGED"},
			want: []string{"✘  无 效 码   INVALID", "原因", "请人工核验", "无效 1"}},
		{name: "unreadable text is invalid", lines: []string{"not a code"},
			want: []string{"✘  无 效 码   INVALID", "无效 2"}},
		{name: "stale data cannot be judged", lines: []string{"STALE"},
			want: []string{"⚠  数 据 过 期   STALE", "本机数据过期，请联网同步或人工核验", "⚠ 信任列表 4天前", "无效 3"}},
		{name: "a verdict that could not be recorded is an error, not a verdict", lines: []string{"DISKFULL"},
			want: []string{"⚠  故 障   ERROR", "entry not recorded: disk full", "Enter 知道了"}, not: []string{"YELLOW"}},
		{name: "red is reported", lines: []string{"RED-WANG"},
			want: []string{"✘  红 码   RED", "王*五", "已通知防疫人员", "红码 1 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, l := range tc.lines {
				s.Line(l)
			}
			screen := s.WaitFor(tc.want...)
			for _, n := range tc.not {
				if strings.Contains(screen, n) {
					t.Errorf("screen holds %q:\n%s", n, screen)
				}
			}
		})
	}
}

// TestScreenFever: a fever is shown as pending yellow until the report is
// delivered, stays until the officer confirms it, and blocks the next scan
// until then — even with a short hold time.
func TestScreenFever(t *testing.T) {
	t.Parallel()
	s := startDemo(t, "YANMA_TUI_HOLD=200ms")
	s.Line("GREEN-ZHANG")
	s.WaitFor("请 测 体 温")
	s.Type("38.2")
	s.Keys("Enter")
	s.WaitFor("✘  体 温 异 常   FEVER", "38.2 °C ≥ 37.3 °C", "▲ 待转黄", "发热 1", "按 Enter 或 F 确认")
	s.WaitFor("✔ 已上报上级平台", "● 在线", "待上报 0")
	s.Line("YELLOW-LI")
	s.WaitFor("请先按 Enter 确认体温异常", "FEVER")
	s.Keys("Enter")
	s.WaitFor(idle)
	if screen := s.Capture(); strings.Contains(screen, "黄码 1") {
		t.Errorf("the scan during the fever reached the scan loop:\n%s", screen)
	}
}

// TestScreenAutoClear: a verdict clears itself after the hold time; Space
// keeps it.
func TestScreenAutoClear(t *testing.T) {
	t.Parallel()
	s := startDemo(t, "YANMA_TUI_HOLD=3s")
	s.Line("YELLOW-LI")
	s.WaitFor("YELLOW")
	s.WaitFor(idle)

	s.Line("RED-WANG")
	s.WaitFor("RED")
	s.Keys("Space")
	s.WaitFor("⏸ 已保持")
	time.Sleep(4 * time.Second) // more than the hold time: a held verdict must still be there
	if screen := s.Capture(); !strings.Contains(screen, "RED") {
		t.Fatalf("held verdict cleared:\n%s", screen)
	}
	s.Keys("Space")
	s.WaitFor(idle)
}

// TestScreenEnglishAndQuit: --lang en, the keypad's Esc, and Ctrl+C.
func TestScreenEnglishAndQuit(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := tmuxtest.Start(t, 100, 30, []string{"YANMA_TUI_DEMO=1", "YANMA_TUI_LANG=en", "YANMA_TUI_HOLD=1h"}, exe, "-test.run=^$")
	s.WaitFor("SHOW YOUR CODE", "○ offline", "⚠ trust 4 d ago", "road checkpoint")
	s.Line("GREEN-ZHANG")
	s.WaitFor("MEASURE TEMPERATURE", "Name", "张*三")
	s.Type("39")
	s.WaitFor("Temperature › 39")
	s.Keys("Escape")
	s.WaitFor("cleared: measure again")
	s.Type("36.4")
	s.Keys("Enter")
	s.WaitFor("✔  PASS   请通行", "36.4 °C", "passed 1 ")
	s.Keys("C-c")
	s.WaitUntil("the program to exit", func(string) bool { return s.Dead() })
}
