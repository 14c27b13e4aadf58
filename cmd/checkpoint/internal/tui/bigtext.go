package tui

import "strings"

// font is a five-row block font for the banner's English word: a terminal
// cannot change its font size, so the verdict is drawn large instead, to be
// read from a step away in the sun. Only the letters of the verdict words.
var font = map[rune][5]string{
	'A': {" ███ ", "█   █", "█████", "█   █", "█   █"},
	'D': {"████ ", "█   █", "█   █", "█   █", "████ "},
	'E': {"█████", "█    ", "████ ", "█    ", "█████"},
	'F': {"█████", "█    ", "████ ", "█    ", "█    "},
	'G': {" ████", "█    ", "█  ██", "█   █", " ████"},
	'I': {"███", " █ ", " █ ", " █ ", "███"},
	'L': {"█    ", "█    ", "█    ", "█    ", "█████"},
	'N': {"█   █", "██  █", "█ █ █", "█  ██", "█   █"},
	'O': {" ███ ", "█   █", "█   █", "█   █", " ███ "},
	'P': {"████ ", "█   █", "████ ", "█    ", "█    "},
	'R': {"████ ", "█   █", "████ ", "█  █ ", "█   █"},
	'S': {" ████", "█    ", " ███ ", "    █", "████ "},
	'T': {"█████", "  █  ", "  █  ", "  █  ", "  █  "},
	'V': {"█   █", "█   █", "█   █", " █ █ ", "  █  "},
	'W': {"█   █", "█   █", "█ █ █", "██ ██", "█   █"},
	'Y': {"█   █", " █ █ ", "  █  ", "  █  ", "  █  "},
	' ': {"  ", "  ", "  ", "  ", "  "},
}

// bigText draws word in the block font, or returns nil when a letter is
// missing or it would not fit in width.
func bigText(word string, width int) []string {
	rows := make([]string, 5)
	for i, r := range word {
		g, ok := font[r]
		if !ok {
			return nil
		}
		for j := range rows {
			if i > 0 {
				rows[j] += " "
			}
			rows[j] += g[j]
		}
	}
	if len([]rune(rows[0])) > width {
		return nil
	}
	for j := range rows {
		rows[j] = strings.TrimRight(rows[j], " ")
	}
	return rows
}
