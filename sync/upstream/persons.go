package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// personRecord is what the platform holds about one person: masked data
// only, and the colour in force.
type personRecord struct {
	Iss   string       `json:"iss"`
	Sub   string       `json:"sub"`
	Name  string       `json:"nam"`
	IDM   string       `json:"idm"`
	Color verify.Color `json:"col"`
	Since time.Time    `json:"since"`
	Why   string       `json:"why,omitempty"`
	// RevokedBefore is the newest {sh, before} cut-off published for the
	// person (unix seconds); new codes are issued no earlier.
	RevokedBefore int64 `json:"revoked_before,omitempty"`
}

func personKey(iss, sub string) []byte { return []byte(iss + "\x00" + sub) }

// PersonRequest asks for a code for one person.
type PersonRequest struct {
	// Sub is the person's pseudonymous id at the platform (required).
	Sub string
	// Name and ID are the person's name and ID number; they are masked
	// before they are stored or signed unless they already hold a '*'.
	Name string
	ID   string
	// Color is the colour of a person the platform does not know yet
	// (default green). For a known person it is ignored: the code carries
	// the colour the platform holds (SetColor changes it).
	Color verify.Color
	// Holder binds the code to the holder's phone key (Ed25519 public JWK).
	Holder *verify.JWK
	// CheckIn is the last health check-in (zero: now).
	CheckIn time.Time
}

// Issued is a freshly issued code.
type Issued struct {
	// Credential is the signed code (compact JWS, typ hc+jwt); without a
	// holder key it is also the QR text. With one, the phone appends
	// "~" + verify.MakeProof(...).
	Credential string
	Claims     verify.Claims
	Person     verify.PersonHash
}

// Issue issues a code for a person, with the colour the platform holds for
// them (a person reported with fever is yellow).
func (s *Server) Issue(ctx context.Context, req PersonRequest) (Issued, error) {
	if err := ctx.Err(); err != nil {
		return Issued{}, err
	}
	if req.Sub == "" || len(req.Sub) > 128 {
		return Issued{}, fmt.Errorf("issue: %w: sub must have 1 to 128 bytes", ErrBadRequest)
	}
	if req.Color == "" {
		req.Color = verify.Green
	}
	if !knownColor(req.Color) {
		return Issued{}, fmt.Errorf("issue: %w: colour %q", ErrBadRequest, req.Color)
	}
	if req.Holder != nil {
		if req.Holder.Kty != "OKP" || req.Holder.Crv != "Ed25519" {
			return Issued{}, fmt.Errorf("issue: %w: holder key must be Ed25519", ErrBadRequest)
		}
		if _, err := req.Holder.PublicKey(); err != nil {
			return Issued{}, fmt.Errorf("issue: %w: holder key: %w", ErrBadRequest, err)
		}
	}
	now := s.now()
	var p personRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPersons)
		k := personKey(s.issuerIss, req.Sub)
		if v := b.Get(k); v != nil {
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("person record: %w", err)
			}
		} else {
			p = personRecord{Iss: s.issuerIss, Sub: req.Sub, Color: req.Color, Since: now.UTC(), Why: "first issue"}
		}
		if req.Name != "" {
			p.Name = masked(req.Name, verify.MaskName)
		}
		if req.ID != "" {
			p.IDM = masked(req.ID, verify.MaskID)
		}
		return putJSON(b, k, p)
	})
	if err != nil {
		return Issued{}, fmt.Errorf("issue: %w", err)
	}
	iat := max(now.Unix(), p.RevokedBefore)
	chk := req.CheckIn
	if chk.IsZero() {
		chk = now
	}
	c := verify.Claims{
		Iss: s.issuerIss,
		Sub: p.Sub,
		JTI: randomToken(8), // 64 random bits, 11 characters: every byte counts in the QR
		Iat: iat,
		Exp: iat + int64(s.codeTTL/time.Second),
		Col: p.Color,
		Nam: p.Name,
		Idm: p.IDM,
	}
	if s.grayAfter > 0 {
		// chk is only for issuers with a gray rule; others leave it out
		// to keep the code small.
		c.Chk = chk.Unix()
	}
	if req.Holder != nil {
		h := *req.Holder
		c.Cnf = &verify.Cnf{JWK: verify.JWK{Kty: h.Kty, Crv: h.Crv, X: h.X}}
	}
	tok, err := s.signer().Sign(verify.TypCredential, c)
	if err != nil {
		return Issued{}, fmt.Errorf("issue: sign: %w", err)
	}
	s.log.Info("code issued", "jti", c.JTI, "color", c.Col)
	return Issued{Credential: tok, Claims: c, Person: verify.HashPerson(c.Iss, c.Sub)}, nil
}

// SetColor changes the colour the platform holds for a person of this
// issuer (a platform-side transition: yellow → green after 14 days of
// normal check-ins, red → yellow on discharge, …). Every code issued to the
// person before now is revoked, so only fresh codes show the new colour.
func (s *Server) SetColor(ctx context.Context, sub string, c verify.Color, why string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !knownColor(c) {
		return fmt.Errorf("set colour: %w: colour %q", ErrBadRequest, c)
	}
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPersons)
		k := personKey(s.issuerIss, sub)
		v := b.Get(k)
		if v == nil {
			return ErrUnknownPerson
		}
		var p personRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("person record: %w", err)
		}
		if p.Color == c {
			return nil
		}
		return s.changeColor(tx, &p, c, why, now)
	})
	if err != nil {
		return fmt.Errorf("set colour: %w", err)
	}
	return nil
}

// changeColor records a colour change and revokes the person's earlier codes.
func (s *Server) changeColor(tx *bolt.Tx, p *personRecord, c verify.Color, why string, now time.Time) error {
	// before is one second ahead, so that a code issued in this very
	// second is void too; Issue never issues earlier than RevokedBefore.
	before := now.Unix() + 1
	p.Color, p.Since, p.Why, p.RevokedBefore = c, now.UTC(), why, before
	if err := putJSON(tx.Bucket(bucketPersons), personKey(p.Iss, p.Sub), p); err != nil {
		return err
	}
	sh := verify.HashPerson(p.Iss, p.Sub)
	return appendRevocations(tx, []verify.RevocationEntry{{SH: sh.String(), Before: before}})
}

// Person reports the colour the platform holds for a person of this issuer.
func (s *Server) Person(sub string) (verify.Color, bool, error) {
	var p personRecord
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPersons).Get(personKey(s.issuerIss, sub))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &p)
	})
	if err != nil {
		return "", false, fmt.Errorf("person: %w", err)
	}
	return p.Color, found, nil
}

func knownColor(c verify.Color) bool {
	switch c {
	case verify.Green, verify.Yellow, verify.Red, verify.Gray:
		return true
	}
	return false
}

// masked masks a name or ID number with mask (verify.MaskName or
// verify.MaskID, the compact forms that keep a bound code within QR version
// 20), unless an upstream caller already masked it.
func masked(v string, mask func(string) string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "*") {
		return v
	}
	return mask(v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
