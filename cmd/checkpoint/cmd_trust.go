package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"yanma/verify"
)

// cmdTrust handles `trust pin FILE...` and `trust import FILE`: feeding a
// terminal from a USB stick when it never sees a network.
func cmdTrust(ctx context.Context, e *env, args []string) error {
	if len(args) < 2 || (args[0] != "pin" && args[0] != "import") || (args[0] == "import" && len(args) != 2) || len(args) > 3 {
		fmt.Fprintln(e.stderr, "usage: checkpoint trust pin ROOT.jwk [NEXT-ROOT.jwk] | checkpoint trust import TRUST-LIST.jws")
		return exitError{2}
	}
	// The files are read, and refused when too large, before the store is
	// opened: a refusal leaves no trace, and a slow USB stick does not hold
	// the store's lock.
	switch args[0] {
	case "pin":
		var roots []verify.JWK
		for _, f := range args[1:] {
			b, err := e.readArg(f, maxRootFile, "a trust root")
			if err != nil {
				return fmt.Errorf("trust pin: refused, nothing changed: %w", err)
			}
			k, err := verify.ParsePublicJWK(b)
			if err != nil {
				return fmt.Errorf("trust pin %s: refused: %w", f, err)
			}
			roots = append(roots, k)
		}
		db, err := e.openDB()
		if err != nil {
			return err
		}
		defer db.Close()
		old, _ := db.Roots()
		held, heldErr := db.Trust()
		if err := db.PinRoots(roots...); err != nil {
			return fmt.Errorf("trust pin: %w", err)
		}
		for _, k := range old {
			if !slices.ContainsFunc(roots, k.SameKey) {
				fmt.Fprintf(e.stdout, "no longer trusted: root %s\n", k.Thumbprint())
			}
		}
		for _, k := range roots {
			fmt.Fprintf(e.stdout, "pinned trust root %s (%s)\n", k.Thumbprint(), k.Alg)
		}
		if _, err := db.Trust(); heldErr == nil && errors.Is(err, verify.ErrNoTrustList) {
			fmt.Fprintf(e.stdout, "trust list seq %d dropped: no pinned root signed it; codes are refused until a list is imported (trust import) or synced\n", held.Seq)
		}
		return nil
	default:
		b, err := e.readArg(args[1], verify.MaxTrustListSize, "a trust list")
		if err != nil {
			return fmt.Errorf("trust import: refused, nothing changed: %w", err)
		}
		db, err := e.openDB()
		if err != nil {
			return err
		}
		defer db.Close()
		tl, err := db.ImportTrustList(string(trimToken(b)), e.now())
		if err != nil {
			return fmt.Errorf("trust import %s: refused, nothing changed: %w", args[1], err)
		}
		fmt.Fprintf(e.stdout, "trust list seq %d imported: %s, expires %s\n", tl.Seq, countOf(len(tl.Issuers), "issuer", "issuers"), unixTime(tl.Exp))
		return nil
	}
}

// maxRootFile bounds a trust-root file: a public JWK is a few hundred
// bytes, and a pretty-printed one with a key id stays far below this.
const maxRootFile = 64 << 10

// cmdRevocations handles `revocations import FILE`.
func cmdRevocations(ctx context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "import" {
		fmt.Fprintln(e.stderr, "usage: checkpoint revocations import FEED.jws")
		return exitError{2}
	}
	b, err := e.readArg(args[1], verify.MaxFeedSize, "a revocation feed")
	if err != nil {
		return fmt.Errorf("revocations import: refused, nothing changed: %w", err)
	}
	db, err := e.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	held := db.RevocationSeq()
	token := string(trimToken(b))
	// A feed from a USB stick is only as fresh as its signature: the data is
	// as of its iat, however late it is carried in, so an old stick cannot
	// hide that the terminal's revocations are stale.
	asOf := e.now()
	if roots, err := db.Roots(); err == nil {
		if f, err := verify.ParseRevocationFeed(token, roots); err == nil && f.Iat > 0 && time.Unix(f.Iat, 0).Before(asOf) {
			asOf = time.Unix(f.Iat, 0)
		}
	}
	feed, err := db.ApplyRevocations(token, asOf)
	if err != nil {
		return fmt.Errorf("revocations import %s: refused, nothing changed (held seq %d): %w", args[1], held, err)
	}
	kind := "delta"
	if feed.Full {
		kind = "full snapshot"
	}
	fmt.Fprintf(e.stdout, "revocations %s %d→%d applied: %s\n", kind, feed.From, feed.To, countOf(len(feed.Entries), "entry", "entries"))
	return nil
}

// trimToken drops what an editor or a USB-stick copy adds around a token:
// a byte-order mark and surrounding whitespace.
func trimToken(b []byte) []byte {
	return bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
}

var errNoUpstream = errors.New("no upstream: give --upstream URL (or $YANMA_UPSTREAM) or enroll first")
