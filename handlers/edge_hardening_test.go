package handlers_test

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// Issue #26 (informational): /healthz, /readyz and the server's own plain-text 400 for a
// method it does not know (Fiber answers it before any middleware) carried none of the
// security headers.
func TestSecurityHeadersOnProbesAndTheServersOwn400(t *testing.T) {
	e := newEnv(t)
	base := e.serve()
	for _, path := range []string{"/healthz", "/readyz"} {
		r := httpRequest(t, "GET", base+path, "", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		checkSecurityHeaders(t, path, r.header, false)
	}
	resp := rawExchange(t, base, "FOO / HTTP/1.1\r\nHost: example.test\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown method: %d, want 400", resp.StatusCode)
	}
	checkSecurityHeaders(t, "unknown method", resp.Header, false)
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("a bad request logged an error:\n%s", e.logs.String())
	}
}

// Issue #26 (informational): request ids counted up from a random start, so one answer's
// id told the next one's. They are random UUIDs now: no two consecutive ids share the
// 14 hex digits a counter leaves alone, and each is version 4.
func TestRequestIDsAreRandom(t *testing.T) {
	base := newEnv(t).serve()
	var prev string
	for i := range 20 {
		id := httpRequest(t, "GET", base+"/healthz", "", nil).header.Get("X-Request-Id")
		raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
		if err != nil || len(raw) != 16 || raw[6]>>4 != 4 || raw[8]>>6 != 2 {
			t.Fatalf("request %d: id %q is not a random (version 4) UUID", i, id)
		}
		if prev != "" && id[9:] == prev[9:] {
			t.Fatalf("ids %s and %s differ only in their counter", prev, id)
		}
		prev = id
	}
}

// Issue #26 (informational): the cross-origin check compared only the host of Origin, so
// a page at http://host could post to https://host (another origin, RFC 6454) when the
// browser sent no Sec-Fetch-Site. The scheme is compared too.
func TestCrossOriginCheckComparesTheScheme(t *testing.T) {
	e := newEnvWith(t, envOptions{baseURL: "https://sessions.example"})
	c := e.client(uaChromeMac)
	c.signUp("scheme@example.com")
	other := e.client(uaFirefoxWin)
	other.signIn("scheme@example.com")
	id := other.currentID()
	token := c.csrf()
	revoke := func(origin string) response {
		req := map[string]string{"HX-Request": "true", "X-CSRF-Token": token, "Origin": origin}
		r := c.do("DELETE", "/app/settings/security/sessions/"+id, "", req)
		return r
	}
	// httptest's requests have Host example.com.
	for _, origin := range []string{"http://example.com", "ws://example.com", "null"} {
		if r := revoke(origin); r.status != 403 {
			t.Errorf("Origin %s: %d, want 403", origin, r.status)
		}
	}
	if r := other.get("/api/users/me/current-session"); r.status != 200 {
		t.Fatalf("a refused request ended the session: %d", r.status)
	}
	if r := revoke("https://example.com"); r.status != 200 {
		t.Errorf("same origin: %d %s", r.status, r.body)
	}
}

// The same answers on the IPv6 loopback.
func TestSecurityHeadersOnIPv6Listener(t *testing.T) {
	e := newEnv(t)
	e.serveIPv6()
	resp := rawExchange(t, e.base, "FOO /healthz HTTP/1.1\r\nHost: example.test\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown method: %d", resp.StatusCode)
	}
	checkSecurityHeaders(t, "unknown method over [::1]", resp.Header, false)
	checkSecurityHeaders(t, "/healthz over [::1]", rawExchange(t, e.base, "GET /healthz HTTP/1.1\r\nHost: example.test\r\n\r\n").Header, false)
}
