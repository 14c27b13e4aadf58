package thermo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// number finds a reading with its unit, if any: "36.5", "36,5 C", "36.5℃",
// "98.6°F". Two or three digits before the point: a banner's "V2" is no
// body temperature.
var number = regexp.MustCompile(`([0-9]{2,3}(?:[.,][0-9]{1,2})?)\s*(°\s*[CF]|℃|℉|[CcFf](?:[^A-Za-z]|$))?`)

// labelled prefers the body or object reading when a line also carries the
// ambient temperature ("AMB:24.0 OBJ:36.5").
var labelled = regexp.MustCompile(`(?i)(?:body|obj(?:ect)?|bt|temp|t)\s*[:=]?\s*([0-9]{2,3}(?:[.,][0-9]{1,2})?\s*(?:°\s*[CF]|℃|℉|[CcFf](?:[^A-Za-z]|$))?)`)

// sensorError are the words thermometers send instead of a number when the
// reading is out of their range; they come back as text so the scan loop
// asks to re-measure.
var sensorError = regexp.MustCompile(`(?i)^\s*(lo|low|hi|high|err\w*|e\d+)\s*$`)

// ParseLine reads one line a thermometer sent and returns the reading as the
// text the scan loop parses ("36.5", in °C with one decimal; a °F reading is
// converted), the sensor's own error word ("Lo", "Hi", "Err"), or
// ErrNoReading for a line that holds no reading (banners, blank lines).
func ParseLine(line string) (string, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", ErrNoReading
	}
	if sensorError.MatchString(line) {
		return line, nil
	}
	m := labelled.FindStringSubmatch(line)
	if m != nil {
		m = number.FindStringSubmatch(m[1])
	} else {
		m = number.FindStringSubmatch(line)
	}
	if m == nil {
		return "", fmt.Errorf("%q: %w", truncate(line), ErrNoReading)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", "."), 64)
	if err != nil {
		return "", fmt.Errorf("%q: %w", truncate(line), ErrNoReading)
	}
	if unit := strings.ToUpper(m[2]); strings.Contains(unit, "F") || strings.Contains(unit, "℉") {
		v = (v - 32) * 5 / 9
	}
	return strconv.FormatFloat(v, 'f', 1, 64), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
