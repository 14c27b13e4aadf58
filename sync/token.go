package sync

import (
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"yanma/sync/wire"
)

// deviceToken makes a short-lived bearer token signed by the device key:
// header kid = device id; claims iss = sub = device id, aud, iat, exp and a
// fresh jti, which the upstream remembers for its replay window.
func deviceToken(id string, key ed25519.PrivateKey, now time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.RegisteredClaims{
		Issuer:    id,
		Subject:   id,
		Audience:  jwt.ClaimStrings{wire.DeviceAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(wire.TokenLifetime)),
		ID:        nonce(),
	})
	t.Header["kid"] = id
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("device token: %w", err)
	}
	return s, nil
}

// enrollProof is the proof of possession sent with an enrollment.
func enrollProof(key ed25519.PrivateKey, code string, now time.Time) (string, error) {
	type claims struct {
		jwt.RegisteredClaims
		Nonce string `json:"nonce"`
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Audience:  jwt.ClaimStrings{wire.EnrollAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
			ID:        nonce(),
		},
		Nonce: code,
	})
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("enrollment proof: %w", err)
	}
	return s, nil
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b) // never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
