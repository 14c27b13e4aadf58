package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/scanner"
	"yanma/sync/wire"
	"yanma/verify"
)

// TestUSBStick feeds a terminal that never sees a network: pin the root,
// import the trust list and the revocation feed from files, verify.
func TestUSBStick(t *testing.T) {
	up := startUpstream(t)
	green := issue(t, up, "usb-1", verify.Green)
	stick := t.TempDir()
	root, err := json.Marshal(up.srv.RootJWK())
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"root.jwk":        string(root),
		"trustlist.jwt":   fetch(t, up, wire.PathTrustList),
		"revocations.jwt": fetch(t, up, wire.PathRevocations+"?from=0"),
	} {
		if err := os.WriteFile(filepath.Join(stick, name), []byte(body+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// No --upstream: this terminal is offline for good. --data comes from
	// the environment, as on a kiosk.
	term := terminalCLI{t: t, dataDir: filepath.Join(t.TempDir(), "kiosk")}
	t.Setenv("YANMA_DATA", term.dataDir)
	runEnv := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"--lang", "en"}, args...), strings.NewReader(stdin), &out, &errb)
		return out.String() + errb.String(), err
	}

	if out, err := runEnv("", "verify", green); !isExit(err, 1) || !strings.Contains(out, "reason=no_trust_list") {
		t.Fatalf("before any trust: %v\n%s", err, out)
	}
	if out, err := runEnv("", "trust", "import", filepath.Join(stick, "trustlist.jwt")); err == nil {
		t.Fatalf("trust list imported with no root pinned:\n%s", out)
	}
	for _, args := range [][]string{
		{"trust", "pin", filepath.Join(stick, "root.jwk")},
		{"trust", "import", filepath.Join(stick, "trustlist.jwt")},
		{"revocations", "import", filepath.Join(stick, "revocations.jwt")},
	} {
		if out, err := runEnv("", args...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := runEnv(green+"\n", "verify", "--json", "-")
	if err != nil {
		t.Fatalf("verify after the USB stick: %v\n%s", err, out)
	}
	var res verify.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Valid || res.Color != verify.Green {
		t.Fatalf("verify --json = %s (%v)", out, err)
	}
	if _, err := os.Stat(filepath.Join(term.dataDir, "terminal.db")); err != nil {
		t.Fatalf("YANMA_DATA not honoured: %v", err)
	}
}

// TestVerifyCLI covers --at and the refusals that must never panic.
func TestVerifyCLI(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "verify-1", verify.Green)

	tests := []struct {
		name   string
		args   []string
		stdin  string
		reason verify.Reason
	}{
		{"valid now", []string{green}, "", verify.ReasonOK},
		{"two days later: expired", []string{"--at", time.Now().Add(48 * time.Hour).Format(time.RFC3339), green}, "", verify.ReasonExpired},
		{"before it was issued", []string{"--at", time.Now().Add(-time.Hour).Format(time.RFC3339), green}, "", verify.ReasonNotYetValid},
		{"from stdin", []string{"-"}, green + "\n", verify.ReasonOK},
		{"over 4 KiB", []string{"-"}, strings.Repeat("A", 5000) + "\n", verify.ReasonTooLarge},
		{"garbage", []string{"%%%"}, "", verify.ReasonMalformed},
		{"alg none", []string{"eyJhbGciOiJub25lIiwidHlwIjoiaGMrand0In0.eyJpc3MiOiI0NTAwMDAifQ."}, "", verify.ReasonAlgNotAllowed},
		{"HMAC", []string{"eyJhbGciOiJIUzI1NiIsInR5cCI6ImhjK2p3dCJ9.eyJpc3MiOiI0NTAwMDAifQ.c2ln"}, "", verify.ReasonAlgNotAllowed},
		{"empty line", []string{"-"}, "\n", verify.ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := term.run(tc.stdin, append([]string{"verify", "--json"}, tc.args...)...)
			var res verify.Result
			if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
				t.Fatalf("not JSON (%v): %q", jerr, out)
			}
			if res.Reason != tc.reason {
				t.Fatalf("reason = %s, want %s", res.Reason, tc.reason)
			}
			if wantOK := tc.reason == verify.ReasonOK; res.Valid != wantOK || (err == nil) != wantOK {
				t.Fatalf("valid=%t err=%v for reason %s", res.Valid, err, res.Reason)
			}
		})
	}
}

// TestDecodeCLI: one process over images and a video, JSON per image and
// per frame, an empty list where there is no code, a clear error for a
// file that is no picture — and the other files still reported.
func TestDecodeCLI(t *testing.T) {
	dir := t.TempDir()
	qr, err := scanner.RenderQR("https://example.invalid/#hello", 4)
	if err != nil {
		t.Fatal(err)
	}
	pngPath := filepath.Join(dir, "code.png")
	f, err := os.Create(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, qr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	blank := image.NewGray(image.Rect(0, 0, 320, 240)) // a frame with no code
	video := filepath.Join(dir, "clip.avi")
	if err := scanner.WriteVideo(video, 10, scanner.Presentations(640, 480, []image.Image{blank, qr}, 2, 0)); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("not a picture"), 0o600)

	var out, errb bytes.Buffer
	err = run(context.Background(), []string{"decode", "--json", pngPath, notImage, video}, nil, &out, &errb)
	if !isExit(err, 1) || !strings.Contains(errb.String(), "notes.txt") {
		t.Fatalf("a file that is no picture: err=%v stderr=%q", err, errb.String())
	}
	type line struct {
		File  string   `json:"file"`
		Frame *int     `json:"frame"`
		Codes []string `json:"codes"`
	}
	var lines []line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Codes == nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 5 {
		t.Fatalf("want 1 image + 4 frames, got %d lines: %+v", len(lines), lines)
	}
	if lines[0].File != pngPath || lines[0].Frame != nil || len(lines[0].Codes) != 1 || lines[0].Codes[0] != "https://example.invalid/#hello" {
		t.Fatalf("image line = %+v", lines[0])
	}
	for i, l := range lines[1:] {
		want := 0
		if i >= 2 {
			want = 1
		}
		if l.File != video || l.Frame == nil || *l.Frame != i || len(l.Codes) != want {
			t.Fatalf("frame %d line = %+v, want %d codes", i, l, want)
		}
	}
}
