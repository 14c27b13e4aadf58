package export

import (
	"fmt"
	"strings"
	"time"

	"yanma/verify"
)

// ParseColors reads a --color value: "red,yellow" (empty: all).
func ParseColors(s string) ([]verify.Color, error) {
	var out []verify.Color
	for _, f := range splitList(s) {
		switch c := verify.Color(f); c {
		case verify.Green, verify.Yellow, verify.Red, verify.Gray:
			out = append(out, c)
		default:
			return nil, fmt.Errorf("%w: colour %q: want green, yellow, red or gray", ErrBadFilter, f)
		}
	}
	return out, nil
}

// ParseSites reads a --site value: "road,mall" (empty: all).
func ParseSites(s string) ([]verify.Site, error) {
	var out []verify.Site
	for _, f := range splitList(s) {
		switch site := verify.Site(f); site {
		case verify.SiteRoad, verify.SiteCommunity, verify.SiteMall, verify.SiteTransit, verify.SiteEnterprise:
			out = append(out, site)
		default:
			return nil, fmt.Errorf("%w: site %q: want road, community, mall, transit or enterprise", ErrBadFilter, f)
		}
	}
	return out, nil
}

// ParseDay reads a --from or --to value: a date "2020-02-10" (the start of
// that day in loc) or an RFC 3339 time. Empty is the zero time (unbounded).
// For --to, pass the day after the last one wanted, or use ParseDayEnd.
func ParseDay(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.Local
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q: want 2006-01-02 or RFC 3339", ErrBadFilter, s)
	}
	return t, nil
}

// ParseDayEnd reads a --to value so that a date includes that whole day
// ("--to 2020-02-10" ends at the start of 2020-02-11); an RFC 3339 time is
// taken as it is.
func ParseDayEnd(s string, loc *time.Location) (time.Time, error) {
	t, err := ParseDay(s, loc)
	if err != nil || t.IsZero() {
		return t, err
	}
	if _, derr := time.Parse("2006-01-02", s); derr == nil {
		return t.AddDate(0, 0, 1), nil
	}
	return t, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(strings.ToLower(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}
