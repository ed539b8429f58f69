package handlers_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/docodego/sessions/auth"
)

// xssPayloads are sent as user agent, name and email; none may come back as markup.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`" onmouseover="alert(1)`,
	`' onfocus='alert(1)' autofocus x='`,
	`javascript:alert(1)`,
	`<a href="javascript:alert(1)">click</a>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`</code></details></td></tr></table><script>alert(1)</script>`,
	`{{.}}{{template "layouts/main" .}}{{7*7}}`,
	`${7*7}<%= 7*7 %>#{7*7}`,
	"</script>\u2028\u2029<script>alert(1)//",
	"\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
	"\u202egnp.exe<b>bold</b>",
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`<style>*{display:none}</style>`,
	`<!--<script>-->alert(1)`,
	`%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
	`<img src=x onerror=alert(1)//`,
	"<div style=\"background:url(javascript:alert(1))\">",
}

// injected are pieces of markup a breakout would leave; an escaped payload never does
// (the page has svg icons of its own: "<svg onload" is the payload's).
var injected = []string{"<script>alert", "<img", "<svg onload", "<iframe", "<style>", "<b>", "<a href=\"javascript",
	"<!--<script>", "<div style", "onmouseover=\"alert", "onfocus='alert", "href=\"javascript:", "src=\"javascript:"}

// checkHTML fails if payload came back unescaped, or not at all (then nothing was tested).
func checkHTML(t *testing.T, where, body, payload string) {
	t.Helper()
	checkEscaped(t, where, body, payload)
	if !strings.Contains(html.UnescapeString(body), payload) {
		t.Errorf("%s: payload %q not shown at all", where, payload)
	}
}

// checkEscaped is checkHTML for an answer that need not show the payload.
func checkEscaped(t *testing.T, where, body, payload string) {
	t.Helper()
	if strings.ContainsAny(payload, `<>"'&`) && strings.Contains(body, payload) {
		t.Errorf("%s: payload %q unescaped", where, payload)
	}
	for _, bad := range injected {
		if strings.Contains(body, bad) {
			t.Errorf("%s: markup %q injected by %q", where, bad, payload)
		}
	}
}

// checkJSON fails unless the payload round-trips and the raw JSON holds no character a
// browser could read as markup or a line break in script (<, >, &, U+2028, U+2029).
func checkJSON(t *testing.T, where, body, payload string) {
	t.Helper()
	if strings.ContainsAny(body, "<>&\u2028\u2029") {
		t.Errorf("%s: raw markup characters in JSON: %s", where, body)
	}
	if !strings.Contains(body, string(mustJSON(payload))[1:len(mustJSON(payload))-1]) {
		t.Errorf("%s: payload %q not in JSON %s", where, payload, body)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Every payload, as user agent and as name, on every page, fragment and JSON answer
// that shows it: the security page, the confirm page and question fragment (the user agent
// is shown there, not in the table), the revoke fragment, the sessions
// JSON, and the sign-in and sign-up forms re-rendered with an error (ASVS 5.3.1, 5.3.3).
func TestXSSPayloadsAreEscapedEverywhere(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.SignInLimit, c.SignUpLimit = 1000, 1000 }})
	for i, p := range xssPayloads {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			email := fmt.Sprintf("xss%d@example.com", i)
			a := e.client(p)
			r := a.json("POST", "/api/auth/sign-up/email", string(mustJSON(map[string]string{
				"name": p, "email": email, "password": testPassword})))
			if r.status != 200 {
				t.Fatalf("sign up: %d %s", r.status, r.body)
			}
			checkJSON(t, "sign-up json", r.body, p)
			a2 := e.client(p)
			a2.signIn(email)
			b := e.client(uaChromeMac)
			b.signIn(email)
			checkJSON(t, "sessions json", b.get("/api/auth/sessions").body, p)
			checkJSON(t, "current-session json", a.get("/api/users/me/current-session").body, p)

			page := b.get("/app/settings/security")
			checkHTML(t, "security page", page.body, p)
			a2ID := a2.currentID()
			confirm := b.get("/app/settings/security/sessions/" + a2ID + "/revoke")
			if confirm.status != 200 {
				t.Fatalf("confirm page: %d", confirm.status)
			}
			checkHTML(t, "confirm page", confirm.body, p) // the name and the user agent
			if n := strings.Count(html.UnescapeString(confirm.body), p); n < 2 {
				t.Errorf("payload shown %d times on the confirm page, want 2", n)
			}
			checkHTML(t, "question fragment", b.htmx("GET", "/app/settings/security/sessions/"+a2ID+"/revoke").body, p)
			frag := b.htmx("DELETE", "/app/settings/security/sessions/"+a2ID)
			checkEscaped(t, "revoke fragment", frag.body, p)

			login := e.client(p).form("/login", url.Values{"email": {p}, "password": {"wrong password!"}})
			if login.status != 401 {
				t.Fatalf("bad sign-in: %d", login.status)
			}
			checkHTML(t, "sign-in error page", login.body, p)
			signup := e.client(p).form("/signup", url.Values{"name": {p}, "email": {p}, "password": {"short"}})
			if signup.status != 422 {
				t.Fatalf("bad sign-up: %d", signup.status)
			}
			checkHTML(t, "sign-up error page", signup.body, p)
		})
	}
}
