package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func manyKeys(n int, dup bool) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if dup {
		b.WriteString(`"k3":0,`)
	}
	b.WriteString(`"end":true}`)
	return b.String()
}

func TestDecoderSkip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty object", `{}`, true},
		{"nested", `{"a":[1,-2,3.5e-3,0,true,false,null,"s",{"b":{}}],"c":[]}`, true},
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , 2 ] } \n", true},
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, true},
		{"utf-8", `{"名":"张*丰"}`, true},
		{"many keys", manyKeys(40, false), true},
		{"duplicate among many keys", manyKeys(40, true), false},
		{"duplicate among few keys", manyKeys(5, true), false},
		{"duplicate escaped", `{"a":1,"\u0061":2}`, false},
		{"duplicate nested", `{"a":{"b":1,"b":2}}`, false},
		{"same key in sibling objects", `{"a":{"b":1},"c":{"b":2}}`, true},
		{"depth 16", strings.Repeat(`{"a":`, 16) + `1` + strings.Repeat(`}`, 16), true},
		{"depth 17", strings.Repeat(`{"a":`, 17) + `1` + strings.Repeat(`}`, 17), false},
		{"arrays depth 17", `{"a":` + strings.Repeat(`[`, 16) + strings.Repeat(`]`, 16) + `}`, false},
		{"leading zero", `{"a":01}`, false},
		{"plus", `{"a":+1}`, false},
		{"bare dot", `{"a":1.}`, false},
		{"hex", `{"a":0x1}`, false},
		{"NaN", `{"a":NaN}`, false},
		{"single quotes", `{'a':1}`, false},
		{"trailing comma object", `{"a":1,}`, false},
		{"trailing comma array", `{"a":[1,]}`, false},
		{"unquoted key", `{a:1}`, false},
		{"control char", "{\"a\":\"x\ty\"}", false},
		{"bad escape", `{"a":"\x"}`, false},
		{"short unicode escape", `{"a":"\u12"}`, false},
		{"lone high surrogate", `{"a":"\ud83d"}`, false},
		{"lone low surrogate", `{"a":"\ude00"}`, false},
		{"high then non-low", `{"a":"\ud83d\u0041"}`, false},
		{"invalid utf-8", "{\"a\":\"\xff\"}", false},
		{"invalid utf-8 in key", "{\"\xc3\x28\":1}", false},
		{"surrogate as utf-8", "{\"a\":\"\xed\xa0\x80\"}", false},
		{"unterminated", `{"a":"x`, false},
		{"trailing data", `{} {}`, false},
		{"truncated literal", `{"a":tru}`, false},
		{"nul literal", `{"a":nul}`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decoder{b: []byte(tt.in)}
			err := d.skip()
			if err == nil {
				err = d.end()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("skip(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
			if tt.ok && !json.Valid([]byte(tt.in)) {
				t.Fatalf("accepted what encoding/json refuses")
			}
		})
	}
}

func TestDecoderValues(t *testing.T) {
	d := decoder{b: []byte(`{"s":"\u5f20\ud83d\ude00","d":1583020800.9,"u":18446744073709551615,"f":37.25,"b":true}`)}
	var s string
	var date int64
	var u uint64
	var f float64
	var b bool
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "s":
			s, err = d.str()
		case "d":
			date, err = d.date()
		case "u":
			u, err = d.uint()
		case "f":
			f, err = d.float()
		case "b":
			b, err = d.boolean()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s != "张😀" || date != 1583020800 || u != 1<<64-1 || f != 37.25 || !b {
		t.Fatalf("got %q %d %d %v %v", s, date, u, f, b)
	}
	for _, in := range []string{`-1`, `1e300`, `"1"`, `99999999999999999999`} {
		d := decoder{b: []byte(in)}
		if _, err := d.date(); err == nil {
			t.Errorf("date(%s) accepted", in)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `1e3`, `18446744073709551616`} {
		d := decoder{b: []byte(in)}
		if _, err := d.uint(); err == nil {
			t.Errorf("uint(%s) accepted", in)
		}
	}
}
