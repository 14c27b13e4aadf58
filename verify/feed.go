package verify

import (
	"fmt"
)

// ParseRevocationFeed verifies a revocation-feed JWS against the pinned
// roots and returns its content. Each entry is either {jti} or {sh, before}
// with sh the lowercase hex of a PersonHash; a feed covers (from, to], or
// the whole state at to when full. Whether it fits the data held (from
// equal to the seq held) is the store's business.
func ParseRevocationFeed(token string, roots []JWK) (*RevocationFeed, error) {
	j, err := parseJWS(token, TypRevocations, MaxFeedSize)
	if err != nil {
		return nil, fmt.Errorf("revocation feed: %w", err)
	}
	if _, err := j.verifyWithRoots(roots); err != nil {
		return nil, fmt.Errorf("revocation feed: %w", err)
	}
	d := decoder{b: j.payload}
	f, err := d.feed()
	if err == nil {
		err = d.end()
	}
	if err == nil {
		err = f.validate()
	}
	if err != nil {
		return nil, fmt.Errorf("revocation feed: %w", err)
	}
	return f, nil
}

func (d *decoder) feed() (*RevocationFeed, error) {
	f := &RevocationFeed{}
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "iss":
			f.Iss, err = d.str()
		case "iat":
			f.Iat, err = d.date()
		case "from":
			f.From, err = d.uint()
		case "to":
			f.To, err = d.uint()
		case "full":
			f.Full, err = d.boolean()
		case "count":
			f.Count, err = d.uint()
		case "entries":
			f.Entries = make([]RevocationEntry, 0, 16)
			err = d.array(func() error {
				e, err := d.revEntry()
				f.Entries = append(f.Entries, e)
				return err
			})
		default:
			err = d.skip()
		}
		return err
	})
	return f, err
}

func (d *decoder) revEntry() (RevocationEntry, error) {
	var e RevocationEntry
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "sh":
			e.SH, err = d.str()
		case "before":
			e.Before, err = d.date()
		case "jti":
			e.JTI, err = d.str()
		default:
			err = d.skip()
		}
		return err
	})
	return e, err
}

func (f *RevocationFeed) validate() error {
	if f.Iss == "" || f.Iat == 0 {
		return fmt.Errorf("%w: iss and iat are required", ErrMalformed)
	}
	if f.To < f.From {
		return fmt.Errorf("%w: to %d before from %d", ErrMalformed, f.To, f.From)
	}
	for i, e := range f.Entries {
		switch {
		case e.SH != "" && e.JTI == "":
			if _, err := ParsePersonHash(e.SH); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
			if e.Before <= 0 {
				return fmt.Errorf("%w: entry %d: sh without before", ErrMalformed, i)
			}
		case e.JTI != "" && e.SH == "" && e.Before == 0:
		default:
			return fmt.Errorf("%w: entry %d: want {sh, before} or {jti}", ErrMalformed, i)
		}
	}
	return nil
}
