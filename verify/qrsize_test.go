package verify

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// QR Code byte-mode capacities (ISO/IEC 18004:2015 Table 7), versions 1–40,
// at error-correction levels L and M.
var (
	qrCapL = [40]int{17, 32, 53, 78, 106, 134, 154, 192, 230, 271, 321, 367, 425, 458, 520, 586, 644, 718, 792, 858,
		929, 1003, 1091, 1171, 1273, 1367, 1465, 1528, 1628, 1732, 1840, 1952, 2068, 2188, 2303, 2431, 2563, 2699, 2809, 2953}
	qrCapM = [40]int{14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
		711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331}
)

// qrVersion is the smallest version whose byte mode holds n bytes (0: none).
func qrVersion(n int, caps *[40]int) int {
	for v, c := range caps {
		if n <= c {
			return v + 1
		}
	}
	return 0
}

// typicalQR is a typical bound credential made the way the reference
// upstream makes one: 11-character sub and jti (64 random bits each),
// MaskName/MaskID values, kid "k1", no nbf; with chk only where the issuer
// has a gray rule. The proof is fresh.
func typicalQR(t testing.TB, withChk bool) string {
	t.Helper()
	w := newWorld(t)
	c := Claims{
		Iss: "450000", Sub: "Xk3vQ9zLm2A", JTI: "bR7tYp0cW4e",
		Iat: t0.Unix(), Exp: t0.Add(24 * time.Hour).Unix(), Col: Green,
		Nam: MaskName("张三丰"), Idm: MaskID("450103199001011234"),
		Cnf: &Cnf{JWK: mustJWK(t0, w.holder.Public())},
	}
	if withChk {
		c.Chk = t0.Add(-5 * time.Hour).Unix()
	}
	return prove(t, w.holder, sign(t, w.ed, TypCredential, c), t0)
}

func TestQRSizeBudget(t *testing.T) {
	tests := []struct {
		name    string
		withChk bool
		maxM    int // largest acceptable version at level M
	}{
		{"typical bound credential", false, 20},
		{"bound credential with chk (gray-rule issuers)", true, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qr := typicalQR(t, tt.withChk)
			l, m := qrVersion(len(qr), &qrCapL), qrVersion(len(qr), &qrCapM)
			t.Logf("%d characters: version %d at L, %d at M", len(qr), l, m)
			if m == 0 || m > tt.maxM {
				t.Fatalf("%d characters need version %d at M, budget %d", len(qr), m, tt.maxM)
			}
			if v := qrencodeVersion(t, qr, "M"); v != 0 && v != m {
				t.Fatalf("qrencode made version %d at M, the table says %d", v, m)
			}
		})
	}
}

// qrencodeVersion encodes text with the qrencode CLI in 8-bit mode and
// returns the version it chose, or 0 when qrencode is not installed.
func qrencodeVersion(t testing.TB, text, level string) int {
	t.Helper()
	path, err := exec.LookPath("qrencode")
	if err != nil {
		t.Log("qrencode not installed; table only")
		return 0
	}
	out, err := exec.Command(path, "-8", "-l", level, "-m", "0", "-t", "ASCII", "-o", "-", text).Output()
	if err != nil {
		t.Fatalf("qrencode: %v", err)
	}
	lines := bytes.Count(bytes.TrimRight(out, "\n"), []byte("\n")) + 1
	return (lines - 17) / 4
}

// Example_qrSize prints the size of a typical bound QR text (credential
// and holder proof) and the QR versions it needs.
func Example_qrSize() {
	t := &testing.T{}
	for _, chk := range []bool{false, true} {
		qr := typicalQR(t, chk)
		cred, proof, _ := strings.Cut(qr, "~")
		fmt.Printf("chk %-5v credential %d + proof %d = %d characters: version %d at L, %d at M\n",
			chk, len(cred), len(proof)+1, len(qr), qrVersion(len(qr), &qrCapL), qrVersion(len(qr), &qrCapM))
	}
	// Output:
	// chk false credential 451 + proof 199 = 650 characters: version 18 at L, 20 at M
	// chk true  credential 474 + proof 199 = 673 characters: version 18 at L, 21 at M
}
