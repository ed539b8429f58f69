package handlers_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// revokeButton is a row's Revoke: a form to the confirm page, which #sessions-body boosts
// into the page's one dialog.
var revokeButton = regexp.MustCompile(`<form action="/app/settings/security/sessions/[0-9a-f-]{36}/revoke"><button aria-label="`)

func TestSecurityPage(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	for _, path := range []string{"/app/settings/security", "/settings/sessions", "/settings/sessions/"} {
		r := mac.get(path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		for _, header := range []string{">Session</th>", ">Actions</th>", "<caption>"} {
			if !strings.Contains(r.body, header) {
				t.Errorf("%s: no %q", path, header)
			}
		}
		if n := strings.Count(r.body, `class="badge">Current<`); n != 1 {
			t.Errorf("want one Current badge, got %d", n)
		}
		if n := len(revokeButton.FindAllString(r.body, -1)); n != 2 {
			t.Errorf("want 2 Revoke buttons, got %d", n)
		}
		if !strings.Contains(r.body, "Revoke all other sessions") {
			t.Error("no revoke-others control with 3 sessions")
		}
		if !strings.Contains(r.body, `aria-label="Revoke Firefox on Windows"`) {
			t.Error("Revoke button does not name its device")
		}
		if !strings.Contains(r.body, `"><span>DoCodeGo Desktop on Linux</span>`) {
			t.Error("desktop row is not labelled DoCodeGo Desktop")
		}
		// The current row comes first, and has no Revoke button.
		first := r.body[strings.Index(r.body, `<tr id="session-`):]
		first = first[:strings.Index(first, "</tr>")]
		// Its badge says "Current", and nothing else on the row says it again.
		if strings.Count(first, "Current") != 1 || strings.Contains(first, "This device") || strings.Contains(first, "<button") {
			t.Errorf("first row is not the current one, badged Current once, without Revoke: %s", first)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
	}
	_ = win
}

func TestSecurityPageSingleSessionHasNoRevokeOthers(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("solo@example.com")
	r := c.get("/app/settings/security")
	if strings.Contains(r.body, "Revoke all other sessions") || revokeButton.MatchString(r.body) {
		t.Fatal("a single session must show no revoke controls")
	}
}

func TestSecurityPageRequiresSignIn(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, cookie string
	}{
		{"no cookie", ""},
		{"garbage cookie", "garbage"},
		{"truncated cookie", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"huge cookie", strings.Repeat("x", 3000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(uaChromeMac)
			if tt.cookie != "" {
				c.cookies["session"] = tt.cookie
			}
			r := c.get("/app/settings/security")
			if r.status != 303 || r.header.Get("Location") != "/login" {
				t.Fatalf("page: %d %q", r.status, r.header.Get("Location"))
			}
			if r := c.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, `"unauthenticated"`) {
				t.Fatalf("api: %d %s", r.status, r.body)
			}
		})
	}
}

func TestUserAgentIsEscaped(t *testing.T) {
	e := newEnv(t)
	owner := e.client(uaChromeMac)
	owner.signUp("esc@example.com")
	evil := e.client(`<script>alert(1)</script>"><img src=x onerror=alert(2)>`)
	evil.signIn("esc@example.com")
	page := owner.get("/app/settings/security")
	for _, r := range []response{page, owner.get("/app/settings/security/sessions/" + evil.currentID() + "/revoke"),
		owner.htmx("GET", "/app/settings/security/sessions/"+evil.currentID()+"/revoke")} {
		if strings.Contains(r.body, "<script>alert(1)") || strings.Contains(r.body, "<img src=x") {
			t.Fatal("user agent rendered unescaped")
		}
	}
	// The revoke question shows it, escaped (the table shows the device label).
	for _, r := range []response{owner.get("/app/settings/security/sessions/" + evil.currentID() + "/revoke"),
		owner.htmx("GET", "/app/settings/security/sessions/"+evil.currentID()+"/revoke")} {
		if !strings.Contains(r.body, html.EscapeString("<script>alert(1)</script>")) &&
			!strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatal("user agent not shown (escaped) by the revoke question")
		}
	}
}

func TestRevokeWithHTMX(t *testing.T) {
	_, mac, win, desk := threeDevices(t)
	winID := win.currentID()
	r := mac.htmx("DELETE", "/app/settings/security/sessions/"+winID)
	if r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	switch {
	case strings.Contains(r.body, "<html"):
		t.Error("fragment carries a whole page")
	case !strings.Contains(r.body, `<div id="sessions"`) || !strings.Contains(r.body, `<tr id="session-`):
		t.Error("no fresh sessions section")
	case strings.Contains(r.body, `id="session-`+winID+`"`):
		t.Error("the revoked row is still there")
	case !strings.Contains(r.body, `<hx-partial hx-target="#live">Signed out Firefox on Windows</hx-partial>`) ||
		!strings.Contains(r.body, `<p id="revoke-done" class="done">Signed out Firefox on Windows</p>`):
		t.Errorf("no live-region announcement: %s", r.body)
	case !strings.Contains(r.body, "2 active sessions"):
		t.Error("count not updated")
	}
	if r := win.get("/api/auth/sessions"); r.status != 401 {
		t.Errorf("revoked device still in: %d", r.status)
	}
	// Again, now that it is gone: the fresh table, not an error.
	again := mac.htmx("DELETE", "/app/settings/security/sessions/"+winID)
	if again.status != 200 || !strings.Contains(again.body, `<div id="sessions"`) || strings.Contains(again.body, `hx-target="#live"`) {
		t.Errorf("second revoke: %d %s", again.status, again.body)
	}
	// The last other one: "Revoke all other sessions" disappears.
	last := mac.htmx("DELETE", "/app/settings/security/sessions/"+desk.currentID())
	if strings.Contains(last.body, "Revoke all other sessions") || !strings.Contains(last.body, "1 active session") {
		t.Errorf("after the last revoke: %s", last.body)
	}
}

func TestRevokeOthersWithHTMX(t *testing.T) {
	_, mac, win, desk := threeDevices(t)
	r := mac.htmx("POST", "/app/settings/security/sessions/revoke-others")
	if r.status != 200 || strings.Contains(r.body, "Revoke all other sessions") ||
		strings.Count(r.body, `<tr id="session-`) != 1 || !strings.Contains(r.body, "2 other sessions revoked.") {
		t.Fatalf("revoke others: %d %s", r.status, r.body)
	}
	for _, c := range []*client{win, desk} {
		if r := c.get("/app/settings/security"); r.status != 303 || r.header.Get("Location") != "/login?ended=revoked" {
			t.Errorf("other device: %d %s", r.status, r.header.Get("Location"))
		}
	}
}

func TestRevokeRefusedWithoutCSRFOrCrossSite(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	winID := win.currentID()
	path := "/app/settings/security/sessions/" + winID
	token := mac.csrf()
	tests := []struct {
		name    string
		method  string
		headers map[string]string
	}{
		{"no token", "DELETE", map[string]string{"HX-Request": "true"}},
		{"wrong token", "DELETE", map[string]string{"HX-Request": "true", "X-CSRF-Token": "AAAA" + token[4:]}},
		{"cross-site fetch", "DELETE", map[string]string{"HX-Request": "true", "X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"}},
		{"foreign origin", "DELETE", map[string]string{"X-CSRF-Token": token, "Origin": "https://evil.example"}},
		{"cross-site api", "DELETE", map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := path
			if tt.name == "cross-site api" {
				p = "/api/auth/sessions/" + winID
			}
			if r := mac.do(tt.method, p, "", tt.headers); r.status != 403 {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	if r := win.get("/api/users/me/current-session"); r.status != 200 {
		t.Fatal("a refused request revoked the session")
	}
}

func TestRevokeWithoutJavaScript(t *testing.T) {
	_, mac, win, desk := threeDevices(t)
	winID := win.currentID()
	confirm := mac.get("/app/settings/security/sessions/" + winID + "/revoke")
	if confirm.status != 200 || !strings.Contains(confirm.body, "Revoke Firefox on Windows?") ||
		!strings.Contains(confirm.body, `action="/app/settings/security/sessions/`+winID+`/revoke"`) {
		t.Fatalf("confirm page: %d %s", confirm.status, confirm.body)
	}
	r := mac.form("/app/settings/security/sessions/"+winID+"/revoke", url.Values{})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=revoked" {
		t.Fatalf("revoke form: %d %q", r.status, r.header.Get("Location"))
	}
	if page := mac.get("/app/settings/security?done=revoked"); !strings.Contains(page.body, "Session revoked.") ||
		strings.Contains(page.body, `id="session-`+winID+`"`) {
		t.Error("page after revoke is wrong")
	}
	// A confirm page for a session that is gone leads back to the table.
	if r := mac.get("/app/settings/security/sessions/" + winID + "/revoke"); r.status != 303 {
		t.Errorf("confirm of a gone session: %d", r.status)
	}
	others := mac.get("/app/settings/security/sessions/revoke-others")
	if !strings.Contains(others.body, "1 other device will be signed out") {
		t.Fatalf("revoke-others confirm: %s", others.body)
	}
	r = mac.form("/app/settings/security/sessions/revoke-others", url.Values{})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=revoked_others" {
		t.Fatalf("revoke others form: %d %q", r.status, r.header.Get("Location"))
	}
	if r := desk.get("/api/auth/sessions"); r.status != 401 {
		t.Error("desktop still signed in")
	}
}
