package verify

import (
	"fmt"
	"time"
)

// ParseTrustList verifies a trust-list JWS against the pinned roots (any one
// verifying suffices), checks typ and exp against now, and returns its content.
// It does not know the seq held; the store refuses replays.
//
// The algorithm is fixed by each root's JWK, never by the header: a root is
// tried only when the header's alg is the root's own. The payload is parsed
// only after a signature verified. Every issuer key must carry kid and an
// alg that fits its type, or the whole list is refused.
func ParseTrustList(token string, roots []JWK, now time.Time) (*TrustList, error) {
	tl, _, err := ParseTrustListRoot(token, roots, now)
	return tl, err
}

// ParseTrustListRoot is ParseTrustList that also says which of roots
// verified the list (its index): a list from the next root pinned means the
// upstream has rotated its root.
func ParseTrustListRoot(token string, roots []JWK, now time.Time) (*TrustList, int, error) {
	tl, root, err := parseTrustList(token, roots, now)
	if err != nil {
		return nil, -1, fmt.Errorf("trust list: %w", err)
	}
	return tl, root, nil
}

func parseTrustList(token string, roots []JWK, now time.Time) (*TrustList, int, error) {
	j, err := parseJWS(token, TypTrustList, MaxTrustListSize)
	if err != nil {
		return nil, -1, err
	}
	root, err := j.verifyWithRoots(roots)
	if err != nil {
		return nil, -1, err
	}
	d := decoder{b: j.payload}
	tl, err := d.trustList()
	if err == nil {
		err = d.end()
	}
	if err == nil {
		err = tl.validate()
	}
	if err != nil {
		return nil, -1, err
	}
	if exp := time.Unix(tl.Exp, 0); now.After(exp) {
		return nil, -1, fmt.Errorf("%w: at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	return tl, root, nil
}

// verifyWithRoots checks the signature against each pinned root whose
// algorithm is the header's, and returns the index of the one that verified.
func (j *jws) verifyWithRoots(roots []JWK) (int, error) {
	m, _ := methodFor(j.alg)
	for i, r := range roots {
		if alg, err := r.algorithm(); err != nil || alg != j.alg {
			continue
		}
		pub, err := r.PublicKey()
		if err != nil {
			continue
		}
		if m.Verify(j.signingInput, j.sig, pub) == nil {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: no pinned root verifies it", ErrBadSignature)
}

func (d *decoder) trustList() (*TrustList, error) {
	tl := &TrustList{}
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "iss":
			tl.Iss, err = d.str()
		case "iat":
			tl.Iat, err = d.date()
		case "exp":
			tl.Exp, err = d.date()
		case "seq":
			tl.Seq, err = d.uint()
		case "issuers":
			err = d.array(func() error {
				e, err := d.issuer()
				tl.Issuers = append(tl.Issuers, e)
				return err
			})
		case "policy":
			tl.Policy, err = d.policy()
		case "next_root":
			var k JWK
			k, err = d.jwk()
			tl.NextRoot = &k
		default:
			err = d.skip()
		}
		return err
	})
	return tl, err
}

func (d *decoder) issuer() (IssuerEntry, error) {
	var e IssuerEntry
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "iss":
			e.Iss, err = d.str()
		case "name":
			e.Name, err = d.str()
		case "keys":
			err = d.array(func() error {
				k, err := d.jwk()
				e.Keys = append(e.Keys, k)
				return err
			})
		case "gray_after_hours":
			e.GrayAfterHours, err = d.smallInt()
		default:
			err = d.skip()
		}
		return err
	})
	return e, err
}

func (d *decoder) policy() (Policy, error) {
	var p Policy
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "temp_threshold_c":
			p.TempThresholdC, err = d.float()
		case "proof_window_s":
			p.ProofWindowS, err = d.smallInt()
		case "max_offline_hours":
			p.MaxOfflineHours, err = d.smallInt()
		default:
			err = d.skip()
		}
		return err
	})
	return p, err
}

func (tl *TrustList) validate() error {
	if tl.Iss == "" || tl.Iat == 0 || tl.Exp == 0 {
		return fmt.Errorf("%w: iss, iat and exp are required", ErrMalformed)
	}
	if tl.Exp <= tl.Iat {
		return fmt.Errorf("%w: exp not after iat", ErrMalformed)
	}
	if t := tl.Policy.TempThresholdC; t != 0 && (t < MinPlausibleC || t > MaxPlausibleC) {
		return fmt.Errorf("%w: temp_threshold_c %v outside [%v, %v]", ErrMalformed, t, MinPlausibleC, MaxPlausibleC)
	}
	if k := tl.NextRoot; k != nil {
		if k.Kid == "" || k.Alg == "" || k.NBF != 0 || k.EXP != 0 {
			return fmt.Errorf("%w: next_root needs kid and alg, and no nbf or exp", ErrMalformed)
		}
		if _, err := k.PublicKey(); err != nil {
			return fmt.Errorf("next_root: %w", err)
		}
	}
	seen := make(map[string]bool, len(tl.Issuers))
	for i, e := range tl.Issuers {
		if e.Iss == "" || seen[e.Iss] {
			return fmt.Errorf("%w: issuer %d: empty or repeated iss", ErrMalformed, i)
		}
		seen[e.Iss] = true
		for _, k := range e.Keys {
			if k.Kid == "" || k.Alg == "" {
				return fmt.Errorf("%w: issuer %s: key without kid or alg", ErrMalformed, e.Iss)
			}
			if k.EXP != 0 && k.EXP <= k.NBF {
				return fmt.Errorf("%w: issuer %s key %s: empty validity window", ErrMalformed, e.Iss, k.Kid)
			}
			if _, err := k.PublicKey(); err != nil {
				return fmt.Errorf("issuer %s key %s: %w", e.Iss, k.Kid, err)
			}
		}
	}
	return nil
}
