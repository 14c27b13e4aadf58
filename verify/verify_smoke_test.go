package verify

import "testing"

func TestVerifySmoke(t *testing.T) {
	w := newWorld(t)
	m := w.freshMem()
	v := w.verifier(m)
	tok := sign(t, w.ed, TypCredential, w.claims())
	r := v.Verify(tok)
	if !r.Valid || r.Reason != ReasonOK || r.Color != Green || r.Name != "张*三" {
		t.Fatalf("Verify = %+v", r)
	}
}
