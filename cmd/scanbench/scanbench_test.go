package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"yanma/scanner"
)

func TestParsers(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	tests := []struct {
		name  string
		parse func([]byte) (map[string][]string, error)
		out   string
		want  map[string][]string
	}{
		{name: "ours", parse: parseOurs,
			out:  `{"file":"` + a + `","codes":["x~y","z"]}` + "\n" + `{"file":"` + b + `","codes":[]}` + "\n",
			want: map[string][]string{a: {"x~y", "z"}, b: nil}},
		{name: "zbarimg xml", parse: parseZbar,
			out: `<barcodes xmlns='http://zbar.sourceforge.net/2008/barcode'>
<source href='` + a + `'>
<index num='0'>
<symbol type='QR-Code' quality='1'><data><![CDATA[line one
line two]]></data></symbol>
</index>
</source>
<source href='` + b + `'>
</source>
</barcodes>`,
			want: map[string][]string{a: {"line one\nline two"}, b: nil}},
		{name: "ZXingReader -1", parse: parseZXingCpp,
			out:  a + ` QRCode "yanma <U+9A8C><U+7801> say "hi"<LF>"` + "\n" + b + " None\n",
			want: map[string][]string{a: {"yanma 验码 say \"hi\"\n"}, b: nil}},
		{name: "Java CommandLineRunner", parse: parseJava,
			out: "file://" + a + " (format: QR_CODE, type: TEXT):\nRaw result:\nfirst\nsecond line\nParsed result:\nfirst\nsecond line\nFound 4 result points.\n" +
				"file://" + b + ": No barcode found\n",
			want: map[string][]string{a: {"first\nsecond line"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.out))
			if err != nil {
				t.Fatal(err)
			}
			for f, w := range tt.want {
				if !slices.Equal(got[f], w) {
					t.Errorf("%s: got %q, want %q", filepath.Base(f), got[f], w)
				}
			}
		})
	}
}

func TestCorrect(t *testing.T) {
	tests := []struct {
		name  string
		want  []string
		found []string
		ok    bool
	}{
		{name: "exact", want: []string{"a"}, found: []string{"a"}, ok: true},
		{name: "text file ends in a newline", want: []string{"a\n"}, found: []string{"a"}, ok: true},
		{name: "wrong text", want: []string{"a"}, found: []string{"b"}},
		{name: "one of two", want: []string{"a", "b"}, found: []string{"a"}},
		{name: "both of two", want: []string{"a", "b"}, found: []string{"b", "a"}, ok: true},
		{name: "nothing", want: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := correct(sample{Texts: tt.want}, tt.found); got != tt.ok {
				t.Fatalf("correct = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestUpdateDoc(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	other := "# Benchmarks\n\n## store\n\nstore figures\n"
	if err := os.WriteFile(path, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"first run\n", "second run\n"} {
		if err := updateDoc(path, body); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	if !strings.HasPrefix(s, other) || strings.Contains(s, "first run") || strings.Count(s, "second run") != 1 || strings.Count(s, "## scanner") != 1 {
		t.Fatalf("document:\n%s", s)
	}
}

// TestGenerate: the corpus is reproducible from its seed and holds what the
// manifest says (our decoder reads the clean images).
func TestGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a frame per category")
	}
	n := len(categories)
	s1, err := generate(t.TempDir(), 7, n)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := generate(t.TempDir(), 7, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != n || len(s2) != n {
		t.Fatalf("%d and %d images, want %d", len(s1), len(s2), n)
	}
	for i := range s1 {
		if !slices.Equal(s1[i].Texts, s2[i].Texts) || s1[i].Category != s2[i].Category {
			t.Fatalf("image %d differs between runs with one seed", i)
		}
		b1, _ := os.ReadFile(s1[i].File)
		b2, _ := os.ReadFile(s2[i].File)
		if string(b1) != string(b2) {
			t.Errorf("%s: pixels differ between runs with one seed", s1[i].Category)
		}
		if s1[i].Category == "clean" {
			var got []string
			err := scanner.DecodeFile(context.Background(), scanner.NewDecoder(scanner.WithBudget(0)), s1[i].File, func(fc scanner.FrameCodes) error {
				got = fc.Codes
				return nil
			})
			if err != nil || !slices.Equal(got, s1[i].Texts) {
				t.Errorf("clean image: decoded %d codes (%v), want its credential", len(got), err)
			}
		}
		for _, v := range s1[i].Version {
			if v < 10 || v > 25 {
				t.Errorf("%s: version %d, want a credential's 10–25", s1[i].Category, v)
			}
		}
	}
}

// TestDecodeClock: the decode peer measures its budget in CPU time by
// default, takes the wall clock when asked, and refuses any other clock.
func TestDecodeClock(t *testing.T) {
	img := filepath.Join("..", "..", "scanner", "testdata", "hello.png")
	for _, clock := range []string{"cpu", "wall"} {
		var out, errOut strings.Builder
		if err := run(context.Background(), []string{"decode", "-clock", clock, img}, &out, &errOut); err != nil {
			t.Fatalf("-clock %s: %v (%s)", clock, err, errOut.String())
		}
		got, err := parseOurs([]byte(out.String()))
		if err != nil || len(got[abs(img)]) != 1 {
			t.Errorf("-clock %s: %q, %v; want one code of %s", clock, out.String(), err, img)
		}
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"decode", "-clock", "sundial", img}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "sundial") {
		t.Errorf("-clock sundial: err = %v, want one naming it", err)
	}
}

// TestDecodeLoadOnly: -load-only reads every image and reports it with no
// code, so that what loading costs can be timed apart.
func TestDecodeLoadOnly(t *testing.T) {
	img := filepath.Join("..", "..", "scanner", "testdata", "hello.png")
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"decode", "-load-only", img}, &out, &errOut); err != nil {
		t.Fatalf("%v (%s)", err, errOut.String())
	}
	got, err := parseOurs([]byte(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	codes, listed := got[abs(img)]
	if !listed || len(codes) != 0 {
		t.Errorf("output %q: want %s listed with no code", out.String(), img)
	}
}

// TestInproc: the in-process run over a generated corpus counts every
// category, reads the clean frame, and runs only the listed images when
// given a list; a corpus folder without a manifest is an error.
func TestInproc(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a frame per category")
	}
	dir := t.TempDir()
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"gen", "-dir", dir, "-n", strconv.Itoa(len(categories))}, &out, &errOut); err != nil {
		t.Fatalf("gen: %v (%s)", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"inproc", "-dir", dir, "-budget", "0"}, &out, &errOut); err != nil {
		t.Fatalf("inproc: %v (%s)", err, errOut.String())
	}
	for _, c := range categories {
		if !strings.Contains(out.String(), "| "+c.name+" | 1 |") {
			t.Errorf("no row for %s in\n%s", c.name, out.String())
		}
	}
	if !strings.Contains(out.String(), "| clean | 1 | 1 |") {
		t.Errorf("the clean frame is not read:\n%s", out.String())
	}

	clean, err := filepath.Glob(filepath.Join(dir, "clean", "*"))
	if err != nil || len(clean) != 1 {
		t.Fatalf("clean images: %v, %v", clean, err)
	}
	list := filepath.Join(t.TempDir(), "list.txt")
	rel, _ := filepath.Rel(dir, clean[0])
	if err := os.WriteFile(list, []byte(rel+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"inproc", "-dir", dir, "-budget", "0", "-only", list}, &out, &errOut); err != nil {
		t.Fatalf("inproc -only: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "| **all** | 1 | 1 |") {
		t.Errorf("-only one clean image:\n%s", out.String())
	}

	if err := run(context.Background(), []string{"inproc", "-dir", t.TempDir()}, &out, &errOut); err == nil {
		t.Error("a folder without manifest.json: no error")
	}

	// A phone held up for three frames, carrying: the clean frame reads.
	out.Reset()
	if err := run(context.Background(), []string{"inproc", "-dir", dir, "-frames", "3", "-only", list}, &out, &errOut); err != nil {
		t.Fatalf("inproc -frames 3: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "| **all** | 1 | 1 |") {
		t.Errorf("-frames 3, one clean image:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"inproc", "-dir", dir, "-frames", "0"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "-frames") {
		t.Errorf("-frames 0: %v, want a refusal", err)
	}
}

// TestBarePass: the -bare pass reads a plain code, finds nothing in a
// blank frame, and refuses a colour frame rather than misreading its
// bytes as gray.
func TestBarePass(t *testing.T) {
	m := gocv.IMRead(filepath.Join("..", "..", "scanner", "testdata", "hello.png"), gocv.IMReadGrayScale)
	defer m.Close()
	if m.Empty() {
		t.Fatal("testdata/hello.png: unreadable")
	}
	got, err := barePass(m)
	if err != nil || len(got) != 1 || got[0] == "" {
		t.Fatalf("barePass = %q, %v; want the code", got, err)
	}
	blank := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), 480, 640, gocv.MatTypeCV8U)
	defer blank.Close()
	if got, err := barePass(blank); !errors.Is(err, scanner.ErrNoCode) {
		t.Errorf("blank frame: %q, %v; want ErrNoCode", got, err)
	}
	colour := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer colour.Close()
	if _, err := barePass(colour); err == nil || errors.Is(err, scanner.ErrNoCode) {
		t.Errorf("colour frame: err = %v, want a refusal", err)
	}
}
