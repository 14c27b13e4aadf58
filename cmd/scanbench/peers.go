package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A tool is one decoder under test, run as ONE process over the whole
// corpus, pinned to one core, its output parsed into texts per file.
type tool struct {
	name string
	// argv makes the command line for the files.
	argv func(files []string) []string
	// parse reads its output into file → texts.
	parse func(out []byte) (map[string][]string, error)
	// available says whether it is installed.
	available func() bool
	// aside tools read nothing; they are run only for the same-images
	// timing.
	aside bool
}

// loadOnlyTool reads the images and decodes nothing: what loading costs us.
const loadOnlyTool = "yanma, loading the images only"

// budgetedTool is the camera configuration, the one the same-images
// timing compares.
const budgetedTool = "yanma (25 ms CPU budget)"

// fastestPeer is the peer the same-images timing compares with.
const fastestPeer = "ZXingReader (zxing-cpp 1.4)"

// result is one tool's run over the corpus.
type result struct {
	tool  string
	found map[string][]string
	wall  time.Duration
	cpu   time.Duration
	err   error
}

const (
	javaSE   = "/usr/share/java/javase.jar"
	javaCore = "/usr/share/java/core.jar"
	javaCmd  = "/usr/share/java/jcommander.jar"
)

func lookPath(name string) func() bool {
	return func() bool { _, err := exec.LookPath(name); return err == nil }
}

func fileExists(paths ...string) func() bool {
	return func() bool {
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				return false
			}
		}
		return true
	}
}

func tools(self string) []tool {
	return []tool{
		{
			name:      budgetedTool,
			argv:      func(files []string) []string { return append([]string{self, "decode"}, files...) },
			parse:     parseOurs,
			available: func() bool { return true },
		},
		{
			name:      loadOnlyTool,
			argv:      func(files []string) []string { return append([]string{self, "decode", "-load-only"}, files...) },
			parse:     parseOurs,
			available: func() bool { return true },
			aside:     true,
		},
		{
			name:      "yanma (no budget)",
			argv:      func(files []string) []string { return append([]string{self, "decode", "-budget", "0"}, files...) },
			parse:     parseOurs,
			available: func() bool { return true },
		},
		{
			name: "zbarimg 0.23",
			argv: func(files []string) []string {
				return append([]string{"zbarimg", "--xml", "-q", "-Sdisable", "-Sqrcode.enable"}, files...)
			},
			parse:     parseZbar,
			available: lookPath("zbarimg"),
		},
		{
			name: fastestPeer,
			argv: func(files []string) []string {
				return append([]string{"ZXingReader", "-1", "-format", "QRCode"}, files...)
			},
			parse:     parseZXingCpp,
			available: lookPath("ZXingReader"),
		},
		{
			name: "Java ZXing 3.4.1",
			argv: func(files []string) []string {
				return append([]string{"java", "-cp", javaSE + ":" + javaCore + ":" + javaCmd,
					"com.google.zxing.client.j2se.CommandLineRunner", "--possible_formats", "QR_CODE", "--try_harder", "--multi"}, files...)
			},
			parse:     parseJava,
			available: func() bool { return lookPath("java")() && fileExists(javaSE, javaCore, javaCmd)() },
		},
	}
}

// run runs t over files on one core (taskset -c 0 when there is taskset)
// and measures wall time and the CPU time of the process and its children.
func (t tool) run(ctx context.Context, files []string) result {
	res := result{tool: t.name}
	argv := t.argv(files)
	if _, err := exec.LookPath("taskset"); err == nil {
		argv = append([]string{"taskset", "-c", "0"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "OPENCV_LOG_LEVEL=ERROR")
	start := time.Now()
	err := cmd.Run()
	res.wall = time.Since(start)
	if cmd.ProcessState != nil {
		res.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var ee *exec.ExitError
	// zbarimg and ZXingReader exit non-zero when some file has no code.
	if err != nil && !errors.As(err, &ee) {
		res.err = err
		return res
	}
	res.found, res.err = t.parse(stdout.Bytes())
	if res.err == nil && len(res.found) == 0 && err != nil {
		res.err = fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	return res
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func parseOurs(out []byte) (map[string][]string, error) {
	found := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var fc struct {
			File  string   `json:"file"`
			Codes []string `json:"codes"`
		}
		if err := json.Unmarshal(sc.Bytes(), &fc); err != nil {
			return nil, fmt.Errorf("our output: %w", err)
		}
		found[abs(fc.File)] = append(found[abs(fc.File)], fc.Codes...)
	}
	return found, sc.Err()
}

func parseZbar(out []byte) (map[string][]string, error) {
	var doc struct {
		Sources []struct {
			Href    string `xml:"href,attr"`
			Symbols []struct {
				Type string `xml:"type,attr"`
				Data string `xml:"data"`
			} `xml:"index>symbol"`
		} `xml:"source"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("zbarimg xml: %w", err)
	}
	found := map[string][]string{}
	for _, s := range doc.Sources {
		f := abs(s.Href)
		found[f] = found[f][:0:0]
		for _, sym := range s.Symbols {
			found[f] = append(found[f], sym.Data)
		}
	}
	return found, nil
}

// zxing-cpp -1 prints `FILE FORMAT "TEXT"` (or `FILE None`), with
// non-printable and non-ASCII characters escaped as <U+XXXX> or <NAME>.
var zxcppLine = regexp.MustCompile(`^(.*) QRCode "(.*)"$`)

func parseZXingCpp(out []byte) (map[string][]string, error) {
	found := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := zxcppLine.FindStringSubmatch(line); m != nil {
			f := abs(m[1])
			found[f] = append(found[f], unescapeZXing(m[2]))
			continue
		}
		if f, ok := strings.CutSuffix(line, " None"); ok {
			found[abs(f)] = nil
		}
	}
	return found, sc.Err()
}

var asciiNames = []string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
	"SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

var escRe = regexp.MustCompile(`<(U\+[0-9A-Fa-f]+|[A-Z0-9]{2,3})>`)

func unescapeZXing(s string) string {
	return escRe.ReplaceAllStringFunc(s, func(m string) string {
		in := m[1 : len(m)-1]
		if hex, ok := strings.CutPrefix(in, "U+"); ok {
			v, err := strconv.ParseUint(hex, 16, 32)
			if err != nil {
				return m
			}
			return string(rune(v))
		}
		if in == "DEL" {
			return "\x7f"
		}
		for i, n := range asciiNames {
			if n == in {
				return string(rune(i))
			}
		}
		return m
	})
}

// Java's CommandLineRunner prints, per code, `file:///PATH (format: …):`,
// `Raw result:`, the text (which may span lines), `Parsed result:`.
var javaHead = regexp.MustCompile(`(?m)^(file:\S+) \(format: QR_CODE, type: [A-Z_]+\):\nRaw result:\n`)

func parseJava(out []byte) (map[string][]string, error) {
	found := map[string][]string{}
	s := string(out)
	locs := javaHead.FindAllStringSubmatchIndex(s, -1)
	for _, l := range locs {
		u, err := url.Parse(s[l[2]:l[3]])
		if err != nil {
			continue
		}
		rest := s[l[1]:]
		text, _, ok := strings.Cut(rest, "\nParsed result:\n")
		if !ok {
			continue
		}
		f := abs(u.Path)
		found[f] = append(found[f], text)
	}
	return found, nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
