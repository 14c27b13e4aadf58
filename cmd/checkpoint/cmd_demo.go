package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yanma/scanner"
	"yanma/sync/upstream"
	"yanma/verify"
)

// demoPerson is one person in the demo queue.
type demoPerson struct {
	sub, name, id string
	color         verify.Color
	temp          string // "" where no temperature is taken
	bound         bool   // screenshot-proof code with a holder proof
	forged        bool   // a red code whose colour was edited to green
	note          string
}

var demoQueue = []demoPerson{
	{sub: "demo-0001", name: "李晓华", id: "450102199003071234", color: verify.Green, temp: "36.5", note: "green, normal temperature"},
	{sub: "demo-0002", name: "周敏", id: "450103198511203321", color: verify.Green, temp: "36.8", bound: true, note: "green, screenshot-proof code with a fresh holder proof"},
	{sub: "demo-0003", name: "王芳", id: "450105199207150028", color: verify.Yellow, note: "yellow"},
	{sub: "demo-0004", name: "赵刚", id: "450107197801019876", color: verify.Red, note: "red"},
	{sub: "demo-0005", name: "陈明", id: "450109200002284410", color: verify.Green, temp: "38.2", note: "green, fever at the checkpoint"},
	{sub: "demo-0006", name: "孙强", id: "450111199512120017", color: verify.Red, forged: true, note: "forged: a red code edited to green"},
}

// cmdDemo runs the whole loop on loopback with real parts: the reference
// upstream with its bbolt file, an enrolled terminal with its own, demo
// codes rendered into a video by OpenCV, the checkpoint pipeline on that
// video, the sync, and the fever person's code turning yellow.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keep := fs.String("keep", "", "keep the demo's files (databases, video) in this directory, new or empty, instead of a temporary one")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(e.stderr, "usage: checkpoint demo [--keep DIR]")
		return exitError{2}
	}
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "yanma-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := freshDir(dir); err != nil {
		return fmt.Errorf("demo: --keep: %w", err)
	}
	out := e.stdout
	step := func(format string, a ...any) { fmt.Fprintf(out, "\n== "+format+"\n", a...) }

	// 1. The upstream, on a loopback port, with its own bbolt file.
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	up, err := upstream.Open(filepath.Join(dir, "upstream.db"), upstream.WithLogger(quiet))
	if err != nil {
		return fmt.Errorf("demo: upstream: %w", err)
	}
	defer up.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	srv := &http.Server{Handler: up.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	step("upstream serving on %s (data %s)", url, filepath.Join(dir, "upstream.db"))

	// 2. The terminal: enrolled with a one-time code, first sync.
	termDir := filepath.Join(dir, "terminal")
	code, err := up.NewEnrollmentCode(ctx)
	if err != nil {
		return fmt.Errorf("demo: enrollment code: %w", err)
	}
	step("checkpoint --data %s --upstream %s enroll %s", termDir, url, code)
	sub := func(stdin io.Reader, args ...string) error {
		full := append([]string{"--data", termDir, "--upstream", url, "--lang", e.lang, "--log-level", "warn"}, args...)
		return run(ctx, full, stdin, out, e.stderr)
	}
	if err := sub(nil, "enroll", code); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	// 3. Codes, as the people's phones show them.
	step("issuing %d demo codes", len(demoQueue))
	texts := make([]string, len(demoQueue))
	for i, p := range demoQueue {
		if texts[i], err = demoCode(ctx, up, p); err != nil {
			return fmt.Errorf("demo: %s: %w", p.sub, err)
		}
		fmt.Fprintf(out, "  %d. %-9s %s (%d characters)\n", i+1, p.sub, p.note, len(texts[i]))
	}

	// 4. A video of the queue, one person after another.
	video := filepath.Join(dir, "queue.avi")
	if err := demoVideo(video, texts); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	step("rendered the queue into %s; running the checkpoint on it", video)

	// 5. The checkpoint pipeline on the video, as on a camera.
	var temps []string
	for _, p := range demoQueue {
		if p.temp != "" {
			temps = append(temps, p.temp)
		}
	}
	fmt.Fprintf(out, "checkpoint run --site road --source file:%s --temps %s\n", filepath.Base(video), strings.Join(temps, ","))
	if err := sub(strings.NewReader(""), "run", "--site", "road", "--source", "file:"+video, "--temps", strings.Join(temps, ",")); err != nil {
		return fmt.Errorf("demo: run: %w", err)
	}

	// 6. The fever report reached the upstream: the person is yellow there.
	fever := demoQueue[4]
	col, _, err := up.Person(fever.sub)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	step("upstream after the sync: %s (%s) is now %s", fever.sub, verify.MaskName(fever.name), col)

	// 7. The terminal pulls the revocation; the old green code is refused.
	step("checkpoint sync")
	if err := sub(nil, "sync"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	step("checkpoint verify <the fever person's old green code>")
	if err := sub(nil, "verify", texts[4]); err != nil && !isExit(err, 1) {
		return fmt.Errorf("demo: %w", err)
	}

	// 8. Their fresh code from the platform is yellow and denied.
	fresh, err := demoCode(ctx, up, fever)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	step("the person's fresh code from the upstream, scanned at the checkpoint")
	if err := sub(strings.NewReader(fresh+"\n"), "run", "--site", "road", "--source", "stdin", "--offline"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	step("checkpoint status")
	return sub(nil, "status")
}

// freshDir makes dir, or accepts it when it exists and is empty. A
// directory with files in it is refused: a second demo on the files of the
// first would reuse its upstream and terminal, whose people have already
// turned yellow, and tell a story the screen does not show.
func freshDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err // names the directory
		}
		return nil
	case err != nil:
		return err // names it; also a file where a directory should be
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty (a demo runs from a fresh start): give an empty or a new directory", dir)
	}
	return nil
}

// demoCode asks the upstream for a person's code and turns it into what the
// phone shows: with a holder proof where the code is bound, edited where the
// demo wants a forgery.
func demoCode(ctx context.Context, up *upstream.Server, p demoPerson) (string, error) {
	req := upstream.PersonRequest{Sub: p.sub, Name: p.name, ID: p.id, Color: p.color}
	var holder ed25519.PrivateKey
	if p.bound {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		jwk, err := verify.PublicJWK(pub, "", "EdDSA")
		if err != nil {
			return "", err
		}
		req.Holder, holder = &jwk, priv
	}
	iss, err := up.Issue(ctx, req)
	if err != nil {
		return "", err
	}
	switch {
	case p.bound:
		proof, err := verify.MakeProof(holder, iss.Credential, time.Now())
		if err != nil {
			return "", err
		}
		return iss.Credential + "~" + proof, nil
	case p.forged:
		return editColor(iss.Credential, verify.Red, verify.Green)
	}
	return iss.Credential, nil
}

// editColor does what a forger does: rewrites the colour in the payload and
// keeps the signature.
func editColor(jws string, from, to verify.Color) (string, error) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	edited := strings.Replace(string(payload), `"col":"`+string(from)+`"`, `"col":"`+string(to)+`"`, 1)
	if edited == string(payload) {
		return "", errors.New("colour not found in payload")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(edited))
	return strings.Join(parts, "."), nil
}

// demoVideo renders each text as a QR shown for a second (10 frames at
// 10 fps) on a 640×480 frame, with half a second of nothing between people.
func demoVideo(path string, texts []string) error {
	var codes []image.Image
	for _, t := range texts {
		img, err := scanner.RenderQR(t, 4)
		if err != nil {
			return fmt.Errorf("render QR: %w", err)
		}
		if img.Bounds().Dy() > 460 { // big bound codes: smaller modules to fit the frame
			if img, err = scanner.RenderQR(t, 3); err != nil {
				return fmt.Errorf("render QR: %w", err)
			}
		}
		codes = append(codes, img)
	}
	return scanner.WriteVideo(path, 10, scanner.Presentations(640, 480, codes, 10, 5))
}

func isExit(err error, code int) bool {
	var ex exitError
	return errors.As(err, &ex) && ex.code == code
}
