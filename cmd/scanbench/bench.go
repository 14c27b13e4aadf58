package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

func writeManifest(dir string, samples []sample) error {
	b, err := json.MarshalIndent(samples, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644)
}

// loadShared reads the public test images listed in DIR/manifest.tsv
// (category, image, expected text, …), if DIR exists.
func loadShared(dir string) ([]sample, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		return nil, err
	}
	var out []sample
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		want, err := os.ReadFile(filepath.Join(dir, f[2]))
		if err != nil {
			continue // a header line, or an image without a text
		}
		out = append(out, sample{Category: f[0], File: filepath.Join(dir, f[1]), Texts: []string{string(want)}})
	}
	return out, nil
}

// score counts an image correct when every expected text was decoded
// exactly. Expected texts from files may end in a newline the code lacks.
func correct(s sample, found []string) bool {
	for _, w := range s.Texts {
		ok := false
		for _, f := range found {
			if f == w || f == strings.TrimRight(w, "\r\n") {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

type table struct {
	title   string
	cats    []string
	count   map[string]int
	results []result
	hits    map[string]map[string]int // tool → category → correct
}

func evaluate(title string, samples []sample, results []result) table {
	t := table{title: title, count: map[string]int{}, results: results, hits: map[string]map[string]int{}}
	for _, s := range samples {
		if t.count[s.Category] == 0 {
			t.cats = append(t.cats, s.Category)
		}
		t.count[s.Category]++
	}
	for _, r := range results {
		h := map[string]int{}
		for _, s := range samples {
			if correct(s, r.found[abs(s.File)]) {
				h[s.Category]++
			}
		}
		t.hits[r.tool] = h
	}
	return t
}

func (t table) markdown(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| category | images |")
	for _, r := range t.results {
		fmt.Fprintf(&b, " %s |", r.tool)
	}
	b.WriteString("\n|---|---:|")
	for range t.results {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	total := 0
	for _, c := range t.cats {
		fmt.Fprintf(&b, "| %s | %d |", c, t.count[c])
		total += t.count[c]
		best := 0
		for _, r := range t.results {
			best = max(best, t.hits[r.tool][c])
		}
		for _, r := range t.results {
			if r.err != nil {
				b.WriteString(" – |")
				continue
			}
			h := t.hits[r.tool][c]
			if h == best && best > 0 {
				fmt.Fprintf(&b, " **%d** |", h)
			} else {
				fmt.Fprintf(&b, " %d |", h)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "| **all** | %d |", total)
	for _, r := range t.results {
		if r.err != nil {
			fmt.Fprintf(&b, " not run: %v |", r.err)
			continue
		}
		sum := 0
		for _, c := range t.cats {
			sum += t.hits[r.tool][c]
		}
		fmt.Fprintf(&b, " %d (%.1f %%) |", sum, 100*float64(sum)/float64(max(total, 1)))
	}
	b.WriteString("\n| CPU ms / image | |")
	for _, r := range t.results {
		fmt.Fprintf(&b, " %.2f |", float64(r.cpu.Microseconds())/1000/float64(max(n, 1)))
	}
	b.WriteString("\n| wall ms / image | |")
	for _, r := range t.results {
		fmt.Fprintf(&b, " %.2f |", float64(r.wall.Microseconds())/1000/float64(max(n, 1)))
	}
	b.WriteString("\n")
	return b.String()
}

// runTools runs each tool over the samples; the aside tools only when
// aside is set.
func runTools(ctx context.Context, tls []tool, samples []sample, aside bool, stderr io.Writer) []result {
	files := make([]string, len(samples))
	for i, s := range samples {
		files[i] = s.File
	}
	var out []result
	for _, t := range tls {
		if t.aside && !aside {
			continue
		}
		if !t.available() {
			out = append(out, result{tool: t.name, err: fmt.Errorf("not installed")})
			continue
		}
		fmt.Fprintf(stderr, "running %s over %d images…\n", t.name, len(files))
		r := t.run(ctx, files)
		if r.err != nil {
			fmt.Fprintf(stderr, "  %s: %v\n", t.name, r.err)
		}
		out = append(out, r)
	}
	return out
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scanbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "corpus seed")
	n := fs.Int("n", 1300, "number of generated images")
	dir := fs.String("dir", "", "generate into this folder and keep it (default: a temporary folder, removed)")
	shared := fs.String("shared", "../shared/qr-corpus", "the public ZXing/zxing-cpp QR images (manifest.tsv); skipped when absent")
	write := fs.String("write", "", "update the scanner section of this markdown file (docs/benchmarks.md)")
	only := fs.String("tools", "", "comma-separated substrings of tool names to run (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tls := tools(self)
	if *only != "" {
		var keep []tool
		for _, t := range tls {
			for _, w := range strings.Split(*only, ",") {
				if w != "" && strings.Contains(strings.ToLower(t.name), strings.ToLower(w)) {
					keep = append(keep, t)
					break
				}
			}
		}
		tls = keep
	}

	d := *dir
	if d == "" {
		if d, err = os.MkdirTemp("", "scanbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(d)
	}
	start := time.Now()
	samples, err := generate(d, *seed, *n)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if err := writeManifest(d, samples); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "generated %d images in %v\n", len(samples), time.Since(start).Round(time.Millisecond))

	var report bytes.Buffer
	fmt.Fprintf(&report, "Generated corpus: `scanbench -seed %d -n %d`, %d images (half 1280×720, half 640×480), %s.\n\n",
		*seed, *n, len(samples), versionSummary(samples))
	genResults := runTools(ctx, tls, samples, false, stderr)
	gen := evaluate("generated", samples, genResults)
	report.WriteString(gen.markdown(len(samples)))
	report.WriteString("\n" + categoryLegend() + "\n")
	list := ""
	if *dir != "" {
		list = filepath.Join(d, peerReadsFile)
	}
	report.WriteString(sameImages(ctx, tls, samples, genResults, list, stderr))

	if sh, err := loadShared(*shared); err == nil && len(sh) > 0 {
		fmt.Fprintf(&report, "Public test images (`%s`, manifest.tsv): %d images, upright only, as their projects ship them.\n\n", *shared, len(sh))
		pub := evaluate("public", sh, runTools(ctx, tls, sh, false, stderr))
		report.WriteString(pub.markdown(len(sh)))
	} else {
		fmt.Fprintf(&report, "Public test images: not found at `%s`; skipped.\n", *shared)
	}
	fmt.Fprintf(&report, "\nMachine: %s/%s, %d cores (every tool pinned to core 0 with `taskset -c 0`); %s. CPU time is the process's user+system time; wall time includes start-up (the JVM's too).\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))

	fmt.Fprintln(stdout, report.String())
	if *write != "" {
		if err := updateDoc(*write, report.String()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "updated %s\n", *write)
	}
	return nil
}

// peerReadsFile is where, in a kept corpus folder, the images the fastest
// peer read are listed (for `scanbench inproc -only`).
const peerReadsFile = "read-by-zxingreader.txt"

// sameImages times the camera configuration, the fastest peer and our
// image loading alone on the generated images that peer reads. The main
// table's time per image counts, for us, the images only we read (the
// hard ones, each up to the frame budget); this is the same work for both.
// When list is set, the images are written there, one path a line.
func sameImages(ctx context.Context, tls []tool, samples []sample, results []result, list string, stderr io.Writer) string {
	var peer *result
	for i := range results {
		if results[i].tool == fastestPeer && results[i].err == nil {
			peer = &results[i]
		}
	}
	if peer == nil {
		return ""
	}
	var subset []sample
	for _, s := range samples {
		if correct(s, peer.found[abs(s.File)]) {
			subset = append(subset, s)
		}
	}
	if list != "" {
		var b strings.Builder
		for _, s := range subset {
			b.WriteString(s.File + "\n")
		}
		if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "  %s: %v\n", list, err)
		}
	}
	var pick []tool
	for _, t := range tls {
		if t.name == budgetedTool || t.name == fastestPeer || t.name == loadOnlyTool {
			pick = append(pick, t)
		}
	}
	if len(subset) == 0 || len(pick) < 2 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The same %d generated images for each: those %s reads.\n\n", len(subset), fastestPeer)
	b.WriteString("| tool | read | CPU ms / image |\n|---|---:|---:|\n")
	for _, r := range runTools(ctx, pick, subset, true, stderr) {
		if r.err != nil {
			fmt.Fprintf(&b, "| %s | not run: %v | |\n", r.tool, r.err)
			continue
		}
		read := "–"
		if r.tool != loadOnlyTool {
			n := 0
			for _, s := range subset {
				if correct(s, r.found[abs(s.File)]) {
					n++
				}
			}
			read = fmt.Sprintf("%d", n)
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f |\n", r.tool, read, float64(r.cpu.Microseconds())/1000/float64(len(subset)))
	}
	return b.String() + "\n"
}

func versionSummary(samples []sample) string {
	var vs []int
	for _, s := range samples {
		vs = append(vs, s.Version...)
	}
	if len(vs) == 0 {
		return "no codes"
	}
	sort.Ints(vs)
	return fmt.Sprintf("QR versions %d–%d (median %d), EC level M, every code a real credential signed by verify.Signer, half with a holder proof", vs[0], vs[len(vs)-1], vs[len(vs)/2])
}

func categoryLegend() string {
	var b strings.Builder
	b.WriteString("Categories: ")
	var parts []string
	for _, c := range categories {
		parts = append(parts, fmt.Sprintf("`%s` %s", c.name, c.desc))
	}
	b.WriteString(strings.Join(parts, "; "))
	b.WriteString(". Every frame also has a cluttered background, an optical blur (σ 0.6 px) and sensor noise (σ 3).\n")
	return b.String()
}

const (
	beginMark = "<!-- scanbench:begin -->"
	endMark   = "<!-- scanbench:end -->"
)

// updateDoc replaces the text between the scanbench markers of path's
// scanner section, creating the section (or the file) when missing. The
// rest of the file, other packages' sections included, is left as it is.
func updateDoc(path, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	block := beginMark + "\n" + body + endMark
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + block + s[j+len(endMark):]
	case strings.Contains(s, "\n## scanner\n") || strings.HasPrefix(s, "## scanner\n"):
		k := strings.Index(s, "## scanner\n") + len("## scanner\n")
		s = s[:k] + "\n" + block + "\n" + s[k:]
	default:
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if s == "" {
			s = "# Benchmarks\n"
		}
		s += "\n## scanner\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
