package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"yanma/sync/upstream"
	"yanma/sync/wire"
	"yanma/verify"
)

// exitError ends the program with a status and no further message (the
// usage was already printed).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const usage = `usage: upstream COMMAND [flags]

commands:
  serve         run the upstream HTTP service
  issue         issue a health code (prints it; --png writes its QR)
  enroll-code   make a one-time enrollment code for a terminal
  root          print the trust root's public JWK (for checkpoint trust pin);
                --step prepare|rotate rotates the root
  trust-list    write the signed trust list (USB-stick path)
  revocations   write the signed revocation feed (USB-stick path)
  set-color     change the colour the platform holds for a person
  revoke-device revoke an enrolled terminal
  sightings     list the latest red-code sightings reported by terminals
  issuer-key    prepare (publish ahead of use) or rotate to a new issuer key

Run 'upstream COMMAND -h' for a command's flags. --data (or YANMA_UPSTREAM_DATA)
names the data directory (default ./upstream-data).`

// Files in the data directory.
const (
	dbFile    = "upstream.db"
	urlFile   = "serve.url"   // written by serve: where the admin API listens
	tokenFile = "admin.token" // written by serve: the admin token (mode 0600)
)

// config is what every command shares.
type config struct {
	data   string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, usage)
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	cmds := map[string]func(context.Context, *config, []string) error{
		"serve":         cmdServe,
		"issue":         cmdIssue,
		"enroll-code":   cmdEnrollCode,
		"root":          cmdRoot,
		"trust-list":    cmdTrustList,
		"revocations":   cmdRevocations,
		"set-color":     cmdSetColor,
		"revoke-device": cmdRevokeDevice,
		"sightings":     cmdSightings,
		"issuer-key":    cmdIssuerKey,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "upstream: unknown command %q\n\n%s\n", args[0], usage)
		return exitError{2}
	}
	cfg := &config{stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	return cmd(ctx, cfg, args[1:])
}

// flags makes a command's flag set with --data.
func (c *config) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	def := os.Getenv("YANMA_UPSTREAM_DATA")
	if def == "" {
		def = "upstream-data"
	}
	fs.StringVar(&c.data, "data", def, "data directory (env YANMA_UPSTREAM_DATA)")
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitError{0}
		}
		return exitError{2}
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return exitError{2}
	}
	return nil
}

// open opens the upstream's file in the data directory.
func (c *config) open(opts ...upstream.Option) (*upstream.Server, error) {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return upstream.Open(filepath.Join(c.data, dbFile), append([]upstream.Option{upstream.WithLogger(c.log)}, opts...)...)
}

// withServer runs direct with the file, or, while `upstream serve` holds
// it, remote against the running server's admin API.
func (c *config) withServer(direct func(*upstream.Server) error, remote func(*adminClient) error) error {
	s, err := c.open()
	if errors.Is(err, upstream.ErrLocked) {
		ac, aerr := c.admin()
		if aerr != nil {
			return fmt.Errorf("%w (and no running server found: %w)", err, aerr)
		}
		return remote(ac)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	return direct(s)
}

func cmdServe(ctx context.Context, c *config, args []string) error {
	fs := c.flags("serve")
	addr := fs.String("addr", "127.0.0.1:8700", "listen address")
	iss := fs.String("issuer", upstream.DefaultIssuer, "issuing platform's administrative-division code")
	name := fs.String("issuer-name", upstream.DefaultIssuerName, "issuing platform's name")
	gray := fs.Int("gray-after-hours", upstream.DefaultGrayAfterHours, "gray rule: a green code whose last check-in is older than this shows gray (Ningxia: 72; 0: no rule)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *gray < 0 {
		return fmt.Errorf("--gray-after-hours %d: want 0 or more", *gray)
	}
	s, err := c.open(upstream.WithIssuer(*iss, *name), upstream.WithGrayAfterHours(*gray))
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	if err := os.WriteFile(filepath.Join(c.data, tokenFile), []byte(s.AdminToken()+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.data, urlFile), []byte(base+"\n"), 0o600); err != nil {
		return fmt.Errorf("write server url: %w", err)
	}
	defer os.Remove(filepath.Join(c.data, urlFile))
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute}
	c.log.Info("upstream listening", "url", base, "issuer", *iss, "root_kid", s.RootJWK().Kid,
		"admin_token_file", filepath.Join(c.data, tokenFile))
	fmt.Fprintf(c.stdout, "upstream listening on %s\n", base)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func cmdIssue(ctx context.Context, c *config, args []string) error {
	fs := c.flags("issue")
	sub := fs.String("sub", "", "person's pseudonymous id at the platform (required)")
	name := fs.String("name", "", "person's name (masked before signing)")
	id := fs.String("id", "", "person's ID number (masked before signing)")
	col := fs.String("color", "green", "colour for a person the platform does not know yet: green, yellow, red")
	holder := fs.String("holder", "", "file with the holder phone's Ed25519 public JWK (binds the code)")
	pngOut := fs.String("png", "", "write the QR code as a PNG to this file")
	size := fs.Int("size", 480, "PNG size in pixels")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *sub == "" {
		fmt.Fprintln(c.stderr, "issue: --sub is required")
		return exitError{2}
	}
	req := wire.IssueRequest{Sub: *sub, Name: *name, ID: *id, Color: verify.Color(*col)}
	if *holder != "" {
		data, err := os.ReadFile(*holder)
		if err != nil {
			return fmt.Errorf("holder key: %w", err)
		}
		k, err := verify.ParsePublicJWK(data)
		if err != nil {
			return fmt.Errorf("holder key: %w", err)
		}
		req.Holder = &k
	}
	var cred string
	var color verify.Color
	err := c.withServer(func(s *upstream.Server) error {
		is, err := s.Issue(ctx, upstream.PersonRequest{Sub: req.Sub, Name: req.Name, ID: req.ID, Color: req.Color, Holder: req.Holder})
		cred, color = is.Credential, is.Claims.Col
		return err
	}, func(a *adminClient) error {
		var resp wire.IssueResponse
		err := a.call(ctx, http.MethodPost, wire.PathCodes, req, &resp)
		cred, color = resp.Credential, resp.Color
		return err
	})
	if err != nil {
		return fmt.Errorf("issue: %w", err)
	}
	// Printed first: the code is issued now, whatever becomes of its PNG.
	fmt.Fprintln(c.stdout, cred)
	if *pngOut != "" {
		if err := writeQR(*pngOut, cred, *size); err != nil {
			return fmt.Errorf("issue: the %s code was issued (printed above), but its QR: %w", color, err)
		}
		fmt.Fprintf(c.stderr, "issued a %s code; QR written to %s\n", color, *pngOut)
	}
	return nil
}

// writeQR renders text as a QR code PNG (error correction M, quiet zone 4).
func writeQR(path, text string, size int) error {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		return fmt.Errorf("encode QR: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return fmt.Errorf("encode PNG: %w", err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func cmdEnrollCode(ctx context.Context, c *config, args []string) error {
	fs := c.flags("enroll-code")
	if err := parse(fs, args); err != nil {
		return err
	}
	var code string
	err := c.withServer(func(s *upstream.Server) error {
		var err error
		code, err = s.NewEnrollmentCode(ctx)
		return err
	}, func(a *adminClient) error {
		var resp wire.EnrollmentCodeResponse
		err := a.call(ctx, http.MethodPost, wire.PathEnrollmentCodes, struct{}{}, &resp)
		code = resp.Code
		return err
	})
	if err != nil {
		return fmt.Errorf("enroll-code: %w", err)
	}
	fmt.Fprintln(c.stdout, code)
	return nil
}

func cmdRoot(ctx context.Context, c *config, args []string) error {
	fs := c.flags("root")
	out := fs.String("out", "", "write to this file instead of stdout")
	step := fs.String("step", "", "prepare: announce the next root in the trust list (again: print it); rotate: sign with it from now on")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *step != "" && *step != "prepare" && *step != "rotate" {
		fmt.Fprintln(c.stderr, "root: --step prepare or --step rotate (or neither: print the root in force)")
		return exitError{2}
	}
	var k verify.JWK
	err := c.withServer(func(s *upstream.Server) error {
		var err error
		switch {
		case *step == "prepare":
			k, err = s.PrepareRoot(ctx)
		case *step == "rotate":
			k, err = s.RotateRoot(ctx)
		default:
			k = s.RootJWK()
		}
		return err
	}, func(a *adminClient) error {
		if *step != "" {
			return a.call(ctx, http.MethodPost, wire.PathRoot+"?step="+*step, struct{}{}, &k)
		}
		body, err := a.get(ctx, wire.PathRoot)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &k)
	})
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	body, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	switch *step {
	case "prepare":
		fmt.Fprintf(c.stderr, "next root %s announced in the trust list; rotate once every terminal has synced\n", k.Kid)
	case "rotate":
		fmt.Fprintf(c.stderr, "trust lists and revocation feeds are now signed by root %s\n", k.Kid)
	}
	return c.emit(*out, append(body, '\n'))
}

func cmdTrustList(ctx context.Context, c *config, args []string) error {
	fs := c.flags("trust-list")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	var jws string
	err := c.withServer(func(s *upstream.Server) error {
		var err error
		jws, err = s.TrustList()
		return err
	}, func(a *adminClient) error {
		body, err := a.get(ctx, wire.PathTrustList)
		jws = string(body)
		return err
	})
	if err != nil {
		return fmt.Errorf("trust-list: %w", err)
	}
	return c.emit(*out, []byte(jws+"\n"))
}

func cmdRevocations(ctx context.Context, c *config, args []string) error {
	fs := c.flags("revocations")
	from := fs.Int64("from", -1, "write the delta after this seq (default: a full snapshot, which any terminal can import)")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	var jws string
	err := c.withServer(func(s *upstream.Server) error {
		var f upstream.Feed
		var err error
		if *from < 0 {
			f, err = s.Snapshot(ctx)
		} else {
			f, err = s.Revocations(ctx, uint64(*from))
			if err == nil && f.Next != "" {
				err = errors.New("the terminal is too far behind for a delta; write a full snapshot (no --from)")
			}
		}
		jws = f.JWS
		return err
	}, func(a *adminClient) error {
		if *from < 0 {
			body, err := a.get(ctx, wire.PathFullSnapshot)
			jws = string(body)
			return err
		}
		body, err := a.get(ctx, fmt.Sprintf("%s?from=%d", wire.PathRevocations, *from))
		jws = string(body)
		return err
	})
	if err != nil {
		return fmt.Errorf("revocations: %w", err)
	}
	return c.emit(*out, []byte(jws+"\n"))
}

func cmdSetColor(ctx context.Context, c *config, args []string) error {
	fs := c.flags("set-color")
	sub := fs.String("sub", "", "person's pseudonymous id (required)")
	col := fs.String("color", "", "new colour: green, yellow, red (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *sub == "" || *col == "" {
		fmt.Fprintln(c.stderr, "set-color: --sub and --color are required")
		return exitError{2}
	}
	err := c.withServer(func(s *upstream.Server) error {
		return s.SetColor(ctx, *sub, verify.Color(*col), "set by operator")
	}, func(a *adminClient) error {
		return a.call(ctx, http.MethodPost, wire.PathPersonColor, wire.PersonColorRequest{Sub: *sub, Color: verify.Color(*col)}, nil)
	})
	if err != nil {
		return fmt.Errorf("set-color: %w", err)
	}
	fmt.Fprintf(c.stdout, "%s is now %s; earlier codes revoked\n", *sub, *col)
	return nil
}

func cmdRevokeDevice(ctx context.Context, c *config, args []string) error {
	fs := c.flags("revoke-device")
	dev := fs.String("device", "", "device id (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dev == "" {
		fmt.Fprintln(c.stderr, "revoke-device: --device is required")
		return exitError{2}
	}
	err := c.withServer(func(s *upstream.Server) error {
		return s.RevokeDevice(ctx, *dev)
	}, func(a *adminClient) error {
		return a.call(ctx, http.MethodPost, wire.PathDeviceRevoke, wire.DeviceRevokeRequest{DeviceID: *dev}, nil)
	})
	if err != nil {
		return fmt.Errorf("revoke-device: %w", err)
	}
	fmt.Fprintf(c.stdout, "device %s revoked\n", *dev)
	return nil
}

func cmdSightings(ctx context.Context, c *config, args []string) error {
	fs := c.flags("sightings")
	max := fs.Int("max", 50, "how many, newest first")
	if err := parse(fs, args); err != nil {
		return err
	}
	var list []upstream.Sighting
	err := c.withServer(func(s *upstream.Server) error {
		var err error
		list, err = s.RecentSightings(ctx, *max)
		return err
	}, func(a *adminClient) error {
		body, err := a.get(ctx, fmt.Sprintf("%s?max=%d", wire.PathSightings, *max))
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &list)
	})
	if err != nil {
		return fmt.Errorf("sightings: %w", err)
	}
	for _, s := range list {
		r := s.Report
		fmt.Fprintf(c.stdout, "%s\t%s\t%s\t%s:%s\tdevice %s\n", r.Time.UTC().Format(time.RFC3339), r.Site, r.Color, r.Issuer, r.Sub, s.Device)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stderr, "no red sightings")
	}
	return nil
}

func cmdIssuerKey(ctx context.Context, c *config, args []string) error {
	fs := c.flags("issuer-key")
	step := fs.String("step", "", "prepare: publish the next key in the trust list; rotate: sign with it from now on")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *step != "prepare" && *step != "rotate" {
		fmt.Fprintln(c.stderr, "issuer-key: --step prepare or --step rotate")
		return exitError{2}
	}
	var k verify.JWK
	err := c.withServer(func(s *upstream.Server) error {
		var err error
		if *step == "prepare" {
			k, err = s.PrepareIssuerKey(ctx)
		} else {
			k, err = s.RotateIssuerKey(ctx)
		}
		return err
	}, func(a *adminClient) error {
		return a.call(ctx, http.MethodPost, wire.PathIssuerKey+"?step="+*step, struct{}{}, &k)
	})
	if err != nil {
		return fmt.Errorf("issuer-key: %w", err)
	}
	if *step == "prepare" {
		fmt.Fprintf(c.stdout, "key %s published in the trust list; rotate once the terminals have synced\n", k.Kid)
	} else {
		fmt.Fprintf(c.stdout, "codes are now signed with key %s\n", k.Kid)
	}
	return nil
}

// emit writes data to path, or to stdout when path is empty.
func (c *config) emit(path string, data []byte) error {
	if path == "" {
		_, err := c.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "wrote %s\n", path)
	return nil
}

// adminClient talks to a running `upstream serve`.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

func (c *config) admin() (*adminClient, error) {
	u, err := os.ReadFile(filepath.Join(c.data, urlFile))
	if err != nil {
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(c.data, tokenFile))
	if err != nil {
		return nil, err
	}
	return &adminClient{base: strings.TrimSpace(string(u)), token: strings.TrimSpace(string(tok)),
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (a *adminClient) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", wire.MediaJSON)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var we wire.Error
		_ = json.Unmarshal(data, &we)
		return nil, fmt.Errorf("upstream answered %d %s: %s", resp.StatusCode, we.Code, we.Message)
	}
	return data, nil
}

func (a *adminClient) get(ctx context.Context, path string) ([]byte, error) {
	return a.do(ctx, http.MethodGet, path, nil)
}

func (a *adminClient) call(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	data, err := a.do(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(data, out)
}
