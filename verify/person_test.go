package verify

import "testing"

func TestHashPerson(t *testing.T) {
	tests := []struct {
		name, iss, sub, want string
	}{
		// Computed independently: python3 -c "import hashlib; print(hashlib.sha256(b'450000\x00p-0001').hexdigest()[:32])"
		{"known", "450000", "p-0001", "b893832aca3803a01de500b8c2d3ac03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := HashPerson(tt.iss, tt.sub)
			if p.String() != tt.want {
				t.Fatalf("HashPerson = %s, want %s", p, tt.want)
			}
			back, err := ParsePersonHash(p.String())
			if err != nil || back != p {
				t.Fatalf("ParsePersonHash(%s) = %v, %v", p, back, err)
			}
		})
	}
	if HashPerson("45", "0001") == HashPerson("450", "001") {
		t.Fatal("the separator must keep (45, 0001) and (450, 001) apart")
	}
}

func TestParsePersonHashRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"short", "b893832aca3803a01de500b8c2d3ac0"},
		{"long", "b893832aca3803a01de500b8c2d3ac030"},
		{"upper", "B893832ACA3803A01DE500B8C2D3AC03"},
		{"not hex", "g893832aca3803a01de500b8c2d3ac03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePersonHash(tt.in)
			wantErr(t, err, ErrMalformed)
		})
	}
}
