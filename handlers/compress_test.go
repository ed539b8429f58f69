package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// The security page goes gzipped to a client that takes gzip, every time, and as it is to
// one that does not; all are the same page.
func TestSecurityPageIsGzippedForClientsThatTakeIt(t *testing.T) {
	_, mac, _, _ := threeDevices(t)
	browser := map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}
	var pages []string
	for i, view := range []string{"first", "second"} {
		r := mac.do("GET", "/app/settings/security", "", browser)
		if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s view: status %d, Content-Encoding %q", view, r.status, r.header.Get("Content-Encoding"))
		}
		if vary := r.header.Get("Vary"); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%s view: Vary %q does not name Accept-Encoding", view, vary)
		}
		page := gunzip(t, r.body)
		if !bytes.Contains(page, []byte(`class="badge">Current<`)) {
			t.Fatalf("%s view: not the security page: %.200s", view, page)
		}
		if i == 0 && len(r.body)*2 > len(page) {
			t.Errorf("gzip saves little: %d bytes for a %d-byte page", len(r.body), len(page))
		}
		pages = append(pages, string(page))
	}
	plain := mac.do("GET", "/app/settings/security", "", map[string]string{"Accept-Encoding": "identity"})
	if plain.status != 200 || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: status %d, Content-Encoding %q", plain.status, plain.header.Get("Content-Encoding"))
	}
	if pages[0] != pages[1] || pages[1] != plain.body {
		t.Error("the gzipped and plain pages differ")
	}
}

// So does the JSON list, the same bytes either way, and a revoke changes it at once.
func TestSessionListIsGzippedForClientsThatTakeIt(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	var lists []string
	for range 2 {
		r := mac.do("GET", "/api/auth/sessions/", "", gz)
		if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" ||
			r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, Content-Encoding %q, Content-Type %q", r.status,
				r.header.Get("Content-Encoding"), r.header.Get("Content-Type"))
		}
		lists = append(lists, string(gunzip(t, r.body)))
	}
	plain := mac.get("/api/auth/sessions/")
	if plain.header.Get("Content-Encoding") != "" || lists[0] != lists[1] || lists[1] != plain.body {
		t.Fatalf("the gzipped and plain lists differ:\n%s\n%s\n%s", lists[0], lists[1], plain.body)
	}
	if n := strings.Count(plain.body, `"id":`); n != 3 {
		t.Fatalf("want 3 sessions, got %d: %s", n, plain.body)
	}
	winID := win.currentID()
	if r := mac.json("DELETE", "/api/auth/sessions/"+winID+"/", ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	after := string(gunzip(t, mac.do("GET", "/api/auth/sessions/", "", gz).body))
	if strings.Contains(after, winID) || strings.Count(after, `"id":`) != 2 {
		t.Fatalf("the list still shows the revoked session: %s", after)
	}
}

func gunzip(t *testing.T, body string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
