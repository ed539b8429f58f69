package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/docodego/sessions/auth"
)

// The fuzz targets below send every JSON and form handler fuzzed text against the real
// PostgreSQL the harness starts. Whatever the input, the answer is never a 5xx and
// nothing is logged at ERROR: bad input is a 4xx (issue 14.10).

// fuzzRoute is one handler under fuzz. ":id" in its path takes the fuzzed parameter (which
// also fills the before and limit query fields); fields are the form fields or JSON keys
// that the fuzzed texts fill, in order.
type fuzzRoute struct {
	method, path string
	signedIn     bool
	fields       []string
}

var formRoutes = []fuzzRoute{
	{"POST", "/signup", false, []string{"name", "email", "password"}},
	{"POST", "/login", false, []string{"email", "password"}},
	{"POST", "/logout", true, nil},
	{"POST", "/settings/language", false, []string{"lang", "next"}},
	{"POST", "/app/settings/security/sessions/revoke-others", true, nil},
	{"POST", "/app/settings/security/sessions/:id/revoke", true, nil},
	{"DELETE", "/app/settings/security/sessions/:id", true, nil},
	{"POST", "/app/settings/security/password", true, []string{"current_password", "new_password", "confirm_password"}},
	{"POST", "/app/settings/security/notices/:id/dismiss", true, nil},
	{"GET", "/app/settings/security/activity", true, nil},
}

var jsonRoutes = []fuzzRoute{
	{"POST", "/api/auth/sign-up/email", false, []string{"name", "email", "password"}},
	{"POST", "/api/auth/sign-in/email", false, []string{"email", "password"}},
	{"POST", "/api/auth/sign-out", true, nil},
	{"POST", "/api/auth/change-password", true, []string{"currentPassword", "newPassword"}},
	{"GET", "/api/auth/sessions", true, nil},
	{"DELETE", "/api/auth/sessions", true, nil},
	{"GET", "/api/auth/sessions/:id/status", true, nil},
	{"DELETE", "/api/auth/sessions/:id", true, nil},
	{"GET", "/api/users/me/current-session", true, nil},
	{"GET", "/api/users/me/security-events", true, nil},
	{"GET", "/api/auth/get-session", true, nil},
	{"GET", "/api/auth/list-sessions", true, nil},
	{"POST", "/api/auth/revoke-session", true, []string{"token"}},
	{"POST", "/api/auth/revoke-other-sessions", true, nil},
	{"POST", "/api/auth/revoke-sessions", true, nil},
}

// hostileTexts seed every route: what reached PostgreSQL as SQLSTATE 22021 before, line
// breaks, ids in odd spellings and plain good values.
var hostileTexts = []string{
	"", "ada@example.com", testPassword, "Ada\x00", "ada\x00@example.com", "\xff\xfe", "%FF%FE",
	"Bob\n\nSECURITY TEAM: verify at http://evil.example/x", "x@[10.0.0.5]", "/\r\nSet-Cookie: x=1",
	strings.ToUpper(uuid.NewString()), uuid.NewString(), "1';DROP TABLE sessions;--", strings.Repeat("é", 300),
}

// fuzzApp is one app and database for a whole fuzz run: a database per input would cost
// far more than the input.
type fuzzApp struct {
	e       *env
	browser *client // the device cookie every request carries
	csrf    string
	users   atomic.Int64
}

func newFuzzApp(f *testing.F) *fuzzApp {
	e := newEnvWith(f, envOptions{auth: func(c *auth.Config) { c.SignInLimit = 1 << 30 }})
	browser := e.client(uaChromeMac)
	return &fuzzApp{e: e, browser: browser, csrf: browser.csrf()}
}

// seed adds every route twice, with hostile texts in turn, and the inputs that answered
// 500 before: a NUL or invalid UTF-8 in the name and the email. The corpus stays small so
// that fuzz-smoke's 200 inputs are mostly new ones, not the corpus again.
func seed(f *testing.F, routes []fuzzRoute) {
	n := len(hostileTexts)
	for i := range routes {
		s, t := hostileTexts[2*i%n], hostileTexts[(2*i+1)%n]
		f.Add(uint8(i), s, testPassword, testPassword, s, uaChromeMac)
		f.Add(uint8(i)|0x80, "Ada", t, t, t, "Mozilla/5.0 "+t)
	}
	for _, bad := range []string{"Ada\x00", "\xff\xfe"} {
		f.Add(uint8(0), bad, "ada@example.com", testPassword, "", uaChromeMac) // sign up: name
		f.Add(uint8(0), "Ada", bad+"@example.com", testPassword, "", uaChromeMac)
		f.Add(uint8(1), bad+"@example.com", testPassword, "", "", uaChromeMac) // sign in: email
		f.Add(uint8(2), "", "", "", "", "Mozilla/5.0 "+bad)                    // a signed-in route: agent
	}
}

// FuzzFormHandlers posts fuzzed fields to every form handler, as a plain form and as htmx.
func FuzzFormHandlers(f *testing.F) {
	fz := newFuzzApp(f)
	seed(f, formRoutes)
	f.Fuzz(func(t *testing.T, route uint8, a, b, c, param, ua string) {
		r := formRoutes[int(route&0x7f)%len(formRoutes)]
		form := url.Values{"_csrf": {fz.csrf}, "revoke_others": {"1"}}
		for i, v := range []string{a, b, c}[:len(r.fields)] {
			form.Set(r.fields[i], v)
		}
		fz.send(t, r, param, ua, "application/x-www-form-urlencoded", form.Encode(), route&0x80 != 0)
	})
}

// FuzzJSONHandlers sends fuzzed JSON bodies (built from texts, or raw) to every JSON handler.
func FuzzJSONHandlers(f *testing.F) {
	fz := newFuzzApp(f)
	seed(f, jsonRoutes)
	f.Add(uint8(0x80), `{"name":"A\u0000","email":"a@example.com","password":"`+testPassword+`"}`, "", "", "", uaChromeMac)
	f.Add(uint8(0x81), `{"email":"a\u0000@example.com","password":"x"}`, "", "", "", uaChromeMac)
	f.Add(uint8(0x8c), `{"token":null}`, "", "", "", uaChromeMac)
	f.Fuzz(func(t *testing.T, route uint8, a, b, c, param, ua string) {
		r := jsonRoutes[int(route&0x7f)%len(jsonRoutes)]
		body := a
		if route&0x80 == 0 {
			fields := map[string]any{"revokeOtherSessions": true}
			for i, v := range []string{a, b, c}[:len(r.fields)] {
				fields[r.fields[i]] = v
			}
			raw, _ := json.Marshal(fields)
			body = string(raw)
		}
		fz.send(t, r, param, ua, "application/json", body, false)
	})
}

// send makes one request to r and fails on a 5xx or an ERROR log line. A signed-in route
// gets a fresh account each time: an input may sign out, revoke or change the password.
func (fz *fuzzApp) send(t *testing.T, r fuzzRoute, param, ua, contentType, body string, htmx bool) {
	target := strings.ReplaceAll(r.path, ":id", url.PathEscape(param)) +
		"?" + url.Values{"before": {param}, "limit": {param}}.Encode()
	req := httptest.NewRequest(r.method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", headerSafe(ua))
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", fz.csrf)
	}
	for name, value := range fz.browser.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	if r.signedIn {
		req.AddCookie(&http.Cookie{Name: "session", Value: fz.newSession(t, ua)})
	}
	mark := len(fz.e.logs.String())
	resp, err := fz.e.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, target, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s with %q: status %d\n%s", r.method, target, body, resp.StatusCode, fz.e.logs.String()[mark:])
	}
	for _, line := range strings.Split(fz.e.logs.String()[mark:], "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Fatalf("%s %s with %q logged at ERROR: %s", r.method, target, body, line)
		}
	}
}

// newSession signs up a fresh account from the fuzzed user agent (through the service: the
// agent need not be a legal header there) and returns its session cookie.
func (fz *fuzzApp) newSession(t *testing.T, ua string) string {
	n := fz.users.Add(1)
	_, token, err := fz.e.auth.SignUp(t.Context(), "Fuzz", fmt.Sprintf("fuzz%d@example.com", n), testPassword,
		auth.Client{UserAgent: ua, IP: fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)})
	if err != nil {
		t.Fatalf("sign up with user agent %q: %v", ua, err)
	}
	return token
}

// headerSafe drops the bytes HTTP forbids in a header value (controls but tab), which the
// server refuses before any handler runs (TestBadUserAgentIsSanitised covers that).
func headerSafe(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c != 0x7f || c == '\t' {
			b = append(b, c)
		}
	}
	return string(b)
}
