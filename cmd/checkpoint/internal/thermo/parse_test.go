package thermo

import (
	"errors"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
		err  error
	}{
		{"bare", "36.5", "36.5", nil},
		{"crlf", "36.5\r\n", "36.5", nil},
		{"T=", "T=36.5C", "36.5", nil},
		{"Body:", "Body:36.5℃", "36.5", nil},
		{"space unit", "36.5 C", "36.5", nil},
		{"degree sign", "36.5°C", "36.5", nil},
		{"comma", "36,7", "36.7", nil},
		{"two decimals", "36.55", "36.5", nil}, // FormatFloat rounds half to even on the binary value
		{"integer", "37", "37.0", nil},
		{"fahrenheit", "98.6F", "37.0", nil},
		{"fahrenheit degree", "100.4 °F", "38.0", nil},
		{"labelled body beside ambient", "AMB:24.0 OBJ:36.8", "36.8", nil},
		{"TEMP word", "TEMP 38.2", "38.2", nil},
		{"out of range is passed on", "45.9", "45.9", nil},
		{"sensor Lo", "Lo", "Lo", nil},
		{"sensor Hi", "HI", "HI", nil},
		{"sensor Err", "Err2", "Err2", nil},
		{"blank", "   ", "", ErrNoReading},
		{"banner", "IR THERMOMETER READY", "", ErrNoReading},
		{"banner with a version", "READY V2", "", ErrNoReading},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLine(tc.line)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("ParseLine(%q) = %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"36.5", "T=36.5C", "Body:36.5℃", "36.5 C", "98.6F", "AMB:24.0 OBJ:36.8", "Lo", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got, err := ParseLine(line)
		if err == nil && got == "" {
			t.Fatalf("ParseLine(%q) gave no text and no error", line)
		}
	})
}
