package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// The security page goes gzipped to a client that takes gzip, both when it is rendered and
// when it is served from the page cache, and as it is to one that does not; all three are
// the same page.
func TestSecurityPageIsGzippedForClientsThatTakeIt(t *testing.T) {
	_, mac, _, _ := threeDevices(t)
	browser := map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}
	var pages []string
	for i, view := range []string{"rendered", "cached"} {
		r := mac.do("GET", "/app/settings/security", "", browser)
		if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s view: status %d, Content-Encoding %q", view, r.status, r.header.Get("Content-Encoding"))
		}
		if vary := r.header.Get("Vary"); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%s view: Vary %q does not name Accept-Encoding", view, vary)
		}
		zr, err := gzip.NewReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s view: %v", view, err)
		}
		page, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s view: %v", view, err)
		}
		if !bytes.Contains(page, []byte(`class="badge">Current<`)) {
			t.Fatalf("%s view: not the security page: %.200s", view, page)
		}
		if i == 0 && len(r.body)*3 > len(page) {
			t.Errorf("gzip saves little: %d bytes for a %d-byte page", len(r.body), len(page))
		}
		pages = append(pages, string(page))
	}
	plain := mac.do("GET", "/app/settings/security", "", map[string]string{"Accept-Encoding": "identity"})
	if plain.status != 200 || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: status %d, Content-Encoding %q", plain.status, plain.header.Get("Content-Encoding"))
	}
	if pages[0] != pages[1] || pages[1] != plain.body {
		t.Error("the rendered, cached and plain pages differ")
	}
}
