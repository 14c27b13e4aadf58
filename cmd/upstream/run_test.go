package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/scanner/qr"
	"yanma/verify"
)

func runCmd(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	return out.String(), err
}

// decodePNG reads the QR text back from a PNG with the checkpoint's own
// reader (scanner/qr, pure Go). A single plain gozxing pass is not enough:
// on a clean 480-pixel code it misses about 3 in 100 credentials (its finder
// search takes a data-area blob for a finder pattern), which once failed CI.
func decodePNG(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := qr.Read(qr.Gray(img), qr.DefaultCascade(), time.Time{})
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if len(codes) != 1 {
		t.Fatalf("decode %s: %d codes, want 1", path, len(codes))
	}
	return codes[0].Text
}

// The offline commands on a data directory: the issued PNG holds the
// credential, which verifies against the root and trust list written out.
func TestCommandsDirect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	pngPath := filepath.Join(dir, "code.png")
	cred, err := runCmd(t, ctx, "issue", "--data", data, "--sub", "p-1", "--name", "张三丰", "--id", "450103199001011234", "--png", pngPath)
	if err != nil {
		t.Fatal(err)
	}
	cred = strings.TrimSpace(cred)
	if got := decodePNG(t, pngPath); got != cred {
		t.Fatalf("QR holds %q…, want the credential", got[:min(20, len(got))])
	}
	rootOut, err := runCmd(t, ctx, "root", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	root, err := verify.ParsePublicJWK([]byte(strings.TrimSpace(rootOut)))
	if err != nil {
		t.Fatal(err)
	}
	trustPath := filepath.Join(dir, "trust.jws")
	if _, err := runCmd(t, ctx, "trust-list", "--data", data, "--out", trustPath); err != nil {
		t.Fatal(err)
	}
	tj, _ := os.ReadFile(trustPath)
	if _, err := verify.ParseTrustList(strings.TrimSpace(string(tj)), []verify.JWK{root}, time.Now()); err != nil {
		t.Fatalf("trust list: %v", err)
	}
	if _, err := runCmd(t, ctx, "set-color", "--data", data, "--sub", "p-1", "--color", "yellow"); err != nil {
		t.Fatal(err)
	}
	feedOut, err := runCmd(t, ctx, "revocations", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := verify.ParseRevocationFeed(strings.TrimSpace(feedOut), []verify.JWK{root})
	if err != nil || !feed.Full || feed.Count != 1 {
		t.Fatalf("snapshot: %+v %v", feed, err)
	}
	for _, step := range []string{"prepare", "rotate"} {
		if _, err := runCmd(t, ctx, "issuer-key", "--data", data, "--step", step); err != nil {
			t.Fatalf("issuer-key %s: %v", step, err)
		}
	}
	code, err := runCmd(t, ctx, "enroll-code", "--data", data)
	if err != nil || len(strings.TrimSpace(code)) != 14 {
		t.Fatalf("enroll code %q: %v", code, err)
	}

	usage := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"issue without sub", []string{"issue", "--data", data}},
		{"stray argument", []string{"root", "--data", data, "extra"}},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			var ee exitError
			if _, err := runCmd(t, ctx, tt.args...); !errors.As(err, &ee) || ee.code != 2 {
				t.Fatalf("got %v, want exit status 2", err)
			}
		})
	}
}

// While `upstream serve` holds the file, the other commands go through its
// admin API.
func TestCommandsThroughRunningServer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(data, urlFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server never wrote its address")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pngPath := filepath.Join(dir, "code.png")
	cred, err := runCmd(t, context.Background(), "issue", "--data", data, "--sub", "p-2", "--color", "red", "--png", pngPath)
	if err != nil {
		t.Fatalf("issue through the server: %v", err)
	}
	if got := decodePNG(t, pngPath); got != strings.TrimSpace(cred) {
		t.Fatal("QR does not hold the credential")
	}
	if _, err := runCmd(t, context.Background(), "enroll-code", "--data", data); err != nil {
		t.Fatalf("enroll-code through the server: %v", err)
	}
	if _, err := runCmd(t, context.Background(), "revocations", "--data", data); err != nil {
		t.Fatalf("revocations through the server: %v", err)
	}
	if _, err := runCmd(t, context.Background(), "issuer-key", "--data", data, "--step", "prepare"); err != nil {
		t.Fatalf("issuer-key through the server: %v", err)
	}
	next, err := runCmd(t, context.Background(), "root", "--data", data, "--step", "prepare")
	if err != nil {
		t.Fatalf("root --step prepare through the server: %v", err)
	}
	if k, err := verify.ParsePublicJWK([]byte(strings.TrimSpace(next))); err != nil || k.Kid == "" {
		t.Fatalf("next root %q: %v", next, err)
	}
	if _, err := runCmd(t, context.Background(), "sightings", "--data", data); err != nil {
		t.Fatalf("sightings through the server: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, urlFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve.url left behind: %v", err)
	}
}

// Every PNG `issue --png` writes is read back by the checkpoint's reader,
// over credential-sized texts of many lengths (a fixed seed, so a failure
// reproduces). 4 of these 200 defeat a single plain gozxing pass.
func TestWriteQRReadable(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		raw := make([]byte, 220+rng.IntN(300))
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		text := base64.RawURLEncoding.EncodeToString(raw)
		path := filepath.Join(dir, "code.png")
		if err := writeQR(path, text, 480); err != nil {
			t.Fatalf("text %d (%d chars): %v", i, len(text), err)
		}
		if got := decodePNG(t, path); got != text {
			t.Fatalf("text %d (%d chars) read back as %.40q…", i, len(text), got)
		}
	}
}

// A root rotation the USB-stick way: prepare writes the next root (the
// file a technician pins with `checkpoint trust pin ROOT NEXT`) and the
// trust list announces it; rotate moves the signing to it.
func TestRootCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	jwkOf := func(out string) verify.JWK {
		t.Helper()
		k, err := verify.ParsePublicJWK([]byte(strings.TrimSpace(out)))
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return k
	}
	trustList := func(roots ...verify.JWK) (*verify.TrustList, error) {
		t.Helper()
		out, err := runCmd(t, ctx, "trust-list", "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		return verify.ParseTrustList(strings.TrimSpace(out), roots, time.Now())
	}
	out, err := runCmd(t, ctx, "root", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	old := jwkOf(out)
	if _, err := runCmd(t, ctx, "root", "--data", data, "--step", "rotate"); err == nil || !strings.Contains(err.Error(), "prepare first") {
		t.Fatalf("rotate before prepare: %v", err)
	}
	var ee exitError
	if _, err := runCmd(t, ctx, "root", "--data", data, "--step", "soon"); !errors.As(err, &ee) || ee.code != 2 {
		t.Fatalf("unknown step: %v, want exit status 2", err)
	}

	nextPath := filepath.Join(dir, "next.jwk")
	if _, err := runCmd(t, ctx, "root", "--data", data, "--step", "prepare", "--out", nextPath); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(nextPath)
	next := jwkOf(string(b))
	if out, err := runCmd(t, ctx, "root", "--data", data, "--step", "prepare"); err != nil || jwkOf(out) != next {
		t.Fatalf("prepare again: %v; want the same root", err)
	}
	tl, err := trustList(old)
	if err != nil || tl.NextRoot == nil || *tl.NextRoot != next {
		t.Fatalf("trust list after prepare: %v, next root %+v", err, tl)
	}

	out, err = runCmd(t, ctx, "root", "--data", data, "--step", "rotate")
	if err != nil || jwkOf(out) != next {
		t.Fatalf("rotate: %v", err)
	}
	if out, err := runCmd(t, ctx, "root", "--data", data); err != nil || jwkOf(out) != next {
		t.Fatalf("root after the rotation: %v", err)
	}
	if _, err := trustList(old); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("trust list against the old root: %v", err)
	}
	if tl, err := trustList(next); err != nil || tl.NextRoot != nil {
		t.Fatalf("trust list against the new root: %v", err)
	}
}

// TestIssuePNGUnwritable: a PNG that cannot be written does not lose the
// code the platform just issued: it is printed, and the error says so.
func TestIssuePNGUnwritable(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, err := runCmd(t, context.Background(), "issue", "--data", data, "--sub", "p-9", "--png", filepath.Join(t.TempDir(), "no", "such", "dir", "code.png"))
	if err == nil || !strings.Contains(err.Error(), "was issued") {
		t.Fatalf("err = %v, want one saying the code was issued", err)
	}
	if strings.Count(strings.TrimSpace(out), ".") != 2 {
		t.Fatalf("stdout %q: want the credential", out)
	}
}
