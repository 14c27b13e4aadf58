package upstream

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"yanma/sync/wire"
)

// Any batch body: applying it never fails on content, every report with a
// usable id is acknowledged, and applying it again acknowledges the same
// and changes nothing.
func FuzzApplyReports(f *testing.F) {
	f.Add([]byte(`{"reports":[{"id":"1","kind":"fever","iss":"450000","sub":"g"}]}`))
	f.Add([]byte(`{"reports":[{"id":"2","kind":"red_sighting","iss":"450000","sub":"r"},{"id":"2","kind":"fever","iss":"450000","sub":"g"}]}`))
	f.Add([]byte(`{"reports":[{"id":"","kind":"fever"},{"id":"x","kind":"teleport","iss":"110000","sub":"\u0000"}]}`))
	s, _ := newServer(f)
	if _, err := s.Issue(context.Background(), PersonRequest{Sub: "g"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b wire.ReportBatch
		if json.Unmarshal(body, &b) != nil || len(b.Reports) > 50 {
			return
		}
		ctx := context.Background()
		first, err := s.ApplyReports(ctx, "dev-fuzz", b.Reports)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		usable := 0
		for _, r := range b.Reports {
			if r.ID != "" && len(r.ID) <= 128 {
				usable++
			}
		}
		if len(first.Acked) != usable || len(first.Rejected) != len(b.Reports)-usable {
			t.Fatalf("%d usable, acked %d, rejected %d", usable, len(first.Acked), len(first.Rejected))
		}
		head, _ := s.RevocationHead()
		applied := s.Stats().Applied
		again, err := s.ApplyReports(ctx, "dev-fuzz", b.Reports)
		if err != nil || len(again.Acked) != len(first.Acked) {
			t.Fatalf("again: %v, %d acked", err, len(again.Acked))
		}
		if h, _ := s.RevocationHead(); h != head || s.Stats().Applied != applied {
			t.Fatal("a repeated batch changed the state")
		}
	})
}

// Any body to any endpoint: never a 5xx, never a panic.
func FuzzHandlerBodies(f *testing.F) {
	paths := []string{wire.PathEnroll, wire.PathReports, wire.PathCodes, wire.PathEnrollmentCodes, wire.PathPersonColor, wire.PathDeviceRevoke}
	f.Add(uint8(0), []byte(`{"code":"AAAA-BBBB-CCCC","key":{"kty":"OKP","crv":"Ed25519","x":"AAAA"},"proof":"a.b.c"}`))
	f.Add(uint8(2), []byte(`{"sub":"a","color":"green","holder":{"kty":"EC","crv":"P-256","x":"","y":""}}`))
	f.Add(uint8(4), []byte(`{"sub":"a","color":"purple"}`))
	f.Add(uint8(1), []byte(`{"reports":[{}]}`))
	f.Add(uint8(2), []byte(`{"sub":"`+strings.Repeat("x", 300)+`"}`))
	s, _ := newServer(f)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", req.URL.Path, w.Code, w.Body.String())
		}
	})
}
