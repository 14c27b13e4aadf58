package upstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/sync/wire"
	"yanma/verify"
)

// signedTrust is the trust list in force as served.
type signedTrust struct {
	JWS  string
	ETag string
	Seq  uint64
}

// trustContent is what a trust list's seq versions: when it changes, seq
// goes up.
type trustContent struct {
	Root     string               `json:"root"` // the signing root's kid
	Issuers  []verify.IssuerEntry `json:"issuers"`
	Policy   verify.Policy        `json:"policy"`
	NextRoot *verify.JWK          `json:"next_root,omitempty"`
}

// trustContent is what the trust list says at now: the current issuer key,
// the prepared next one, and the retired ones whose codes may still be
// valid; the next root if one is announced; and the root that signs it.
// Called with trustMu held.
func (s *Server) trustContent(now time.Time) (trustContent, *verify.Signer) {
	s.keyMu.RLock()
	root := s.root
	var nextRoot *verify.JWK
	if s.rootNext != nil {
		k := s.rootNext.PublicJWK()
		nextRoot = &k
	}
	keys := []verify.JWK{s.issuerJWK}
	if s.next != nil {
		keys = append(keys, s.next.PublicJWK())
	}
	for _, k := range s.retired {
		if k.EXP > now.Unix() {
			keys = append(keys, k)
		}
	}
	s.keyMu.RUnlock()
	return trustContent{
		Root: root.Kid(),
		Issuers: []verify.IssuerEntry{{
			Iss:            s.issuerIss,
			Name:           s.issuerName,
			Keys:           keys,
			GrayAfterHours: s.grayAfter,
		}},
		Policy:   s.policy,
		NextRoot: nextRoot,
	}, root
}

// trustList returns the signed trust list in force, signing a new one when
// its content changed (seq+1) or less than half its validity remains (same
// seq).
func (s *Server) trustList() (signedTrust, error) {
	now := s.now()
	s.trustMu.Lock()
	defer s.trustMu.Unlock()
	content, root := s.trustContent(now)
	cj, err := json.Marshal(content)
	if err != nil {
		return signedTrust{}, fmt.Errorf("trust list: %w", err)
	}
	hash := sha256.Sum256(cj)
	if s.trustJWS != "" && s.trustHash == hash && s.trustExp.Sub(now) > s.trustTTL/2 {
		return signedTrust{JWS: s.trustJWS, ETag: s.trustETag, Seq: s.trustSeq}, nil
	}
	var jws string
	var seq uint64
	var exp time.Time
	signed := false // a new signature, not the one in the file
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seq = getU64(meta, keyTrustSeq)
		changed := !bytes.Equal(meta.Get(keyTrustHash), hash[:])
		if !changed {
			if old := meta.Get(keyTrustJWS); old != nil {
				if tl, err := verify.ParseTrustList(string(old), []verify.JWK{root.PublicJWK()}, now); err == nil &&
					time.Unix(tl.Exp, 0).Sub(now) > s.trustTTL/2 {
					jws, exp = string(old), time.Unix(tl.Exp, 0)
					return nil
				}
			}
		} else {
			seq++
		}
		exp = time.Unix(now.Add(s.trustTTL).Unix(), 0)
		tl := verify.TrustList{
			Iss:      s.rootIss,
			Iat:      now.Unix(),
			Exp:      exp.Unix(),
			Seq:      seq,
			Issuers:  content.Issuers,
			Policy:   content.Policy,
			NextRoot: content.NextRoot,
		}
		var err error
		if jws, err = root.Sign(verify.TypTrustList, tl); err != nil {
			return err
		}
		signed = true
		if err := meta.Put(keyTrustSeq, u64(seq)); err != nil {
			return err
		}
		if err := meta.Put(keyTrustHash, hash[:]); err != nil {
			return err
		}
		return meta.Put(keyTrustJWS, []byte(jws))
	})
	if err != nil {
		return signedTrust{}, fmt.Errorf("trust list: %w", err)
	}
	if signed {
		s.log.Info("trust list signed", "seq", seq, "exp", exp.UTC())
	}
	s.trustJWS, s.trustExp, s.trustSeq, s.trustETag, s.trustHash = jws, exp, seq, wire.TrustETag(jws), hash
	return signedTrust{JWS: jws, ETag: s.trustETag, Seq: seq}, nil
}

// TrustList returns the signed trust list in force (compact JWS): what
// `upstream trust-list` writes for the USB-stick path.
func (s *Server) TrustList() (string, error) {
	st, err := s.trustList()
	return st.JWS, err
}

// SetPolicy changes the checkpoint policy the trust list carries; the next
// trust list served has the next seq. (The policy is not kept in the file:
// Open's WithPolicy sets it at each start.)
func (s *Server) SetPolicy(p verify.Policy) error {
	s.trustMu.Lock()
	s.policy = p
	s.trustMu.Unlock()
	_, err := s.trustList()
	return err
}
