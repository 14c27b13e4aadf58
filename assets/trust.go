package assets

import (
	_ "embed"
	"fmt"
	"strings"
)

// The bootstrap trust slot. A kiosk that will never see a network still has
// to trust someone: the deployer builds the binary with the trust root's
// public JWK and a current signed trust list inside, and `checkpoint run`
// pins and imports them on first start (a trust list on disk or from the
// upstream replaces it later; the store refuses an older seq).
//
// To fill the slot, before `go build`:
//
//	cp root.jwk        assets/trust/root.jwk        # the trust root's public JWK (JSON)
//	cp trustlist.jwt   assets/trust/trustlist.jwt   # a JWS of typ hc-trust+jwt signed by that root
//	go build ./cmd/checkpoint
//
// The files committed here are empty: a development build carries no trust
// and the terminal says so (no_trust_list) until `checkpoint trust pin` and
// `checkpoint trust import`. Only public material goes here, never a key.
var (
	//go:embed trust/root.jwk
	bootstrapRoot string
	//go:embed trust/trustlist.jwt
	bootstrapTrustList string
)

// BootstrapRoot returns the trust root JWK built into the binary, or
// ErrNoBootstrap.
func BootstrapRoot() ([]byte, error) {
	s := strings.TrimSpace(bootstrapRoot)
	if s == "" {
		return nil, fmt.Errorf("root: %w", ErrNoBootstrap)
	}
	return []byte(s), nil
}

// BootstrapTrustList returns the signed trust list built into the binary,
// or ErrNoBootstrap.
func BootstrapTrustList() (string, error) {
	s := strings.TrimSpace(bootstrapTrustList)
	if s == "" {
		return "", fmt.Errorf("trust list: %w", ErrNoBootstrap)
	}
	return s, nil
}
