package handlers_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/docodego/sessions/auth"
)

// checkNoErrorLogged fails when the app logged at ERROR: bad input is the client's
// mistake, worth at most a warning.
func checkNoErrorLogged(t *testing.T, e *env) {
	t.Helper()
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("logged at ERROR: %s", line)
		}
	}
}

// A NUL byte or invalid UTF-8 in a text field is PostgreSQL's SQLSTATE 22021 if it gets
// that far: the edge answers 400 (JSON) or 422 (forms) with the field named, and logs no
// ERROR (issue 14.10).
func TestBadTextInFieldsIsRefused(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("text@example.com")
	jsonTests := []struct{ name, path, body, code string }{
		{"sign-in email NUL", "/api/auth/sign-in/email", `{"email":"text\u0000@example.com","password":"` + testPassword + `"}`, "invalid_email"},
		{"sign-in email newline", "/api/auth/sign-in/email", `{"email":"text@example.com\n","password":"x"}`, "invalid_email"},
		{"sign-up name NUL", "/api/auth/sign-up/email", `{"name":"Bob\u0000","email":"bob@example.com","password":"` + testPassword + `"}`, "invalid_name"},
		{"sign-up name newline", "/api/auth/sign-up/email", `{"name":"Bob\n\nSECURITY TEAM","email":"bob@example.com","password":"` + testPassword + `"}`, "invalid_name"},
		{"sign-up email NUL", "/api/auth/sign-up/email", `{"name":"Bob","email":"bob\u0000@example.com","password":"` + testPassword + `"}`, "invalid_email"},
	}
	for _, tt := range jsonTests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.client(uaChromeMac).json("POST", tt.path, tt.body)
			if r.status != 400 || !strings.Contains(r.body, `"error":"`+tt.code+`"`) {
				t.Errorf("%d %s, want 400 %s", r.status, r.body, tt.code)
			}
		})
	}
	formTests := []struct {
		name, path string
		fields     url.Values
		field      string
	}{
		{"login email NUL", "/login", url.Values{"email": {"text\x00@example.com"}, "password": {testPassword}}, "email"},
		{"login email invalid UTF-8", "/login", url.Values{"email": {"\xff\xfe"}, "password": {testPassword}}, "email"},
		{"signup name invalid UTF-8", "/signup", url.Values{"name": {"\xff\xfe"}, "email": {"u@example.com"}, "password": {testPassword}}, "name"},
		{"signup name NUL", "/signup", url.Values{"name": {"A\x00"}, "email": {"u@example.com"}, "password": {testPassword}}, "name"},
		{"signup email invalid UTF-8", "/signup", url.Values{"name": {"A"}, "email": {"\xff\xfe@example.com"}, "password": {testPassword}}, "email"},
	}
	for _, tt := range formTests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.client(uaChromeMac).form(tt.path, tt.fields)
			if r.status != 422 || !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Errorf("%d, want 422 with the %s field marked: %.300s", r.status, tt.field, r.body)
			}
		})
	}
	checkNoErrorLogged(t, e)
}

// A User-Agent is sanitised, not refused: the device still signs in, and what is stored
// is valid UTF-8 without control characters. A NUL in a header breaks HTTP itself, so
// the server answers 400 before the app sees it; the service cleans it for any caller.
func TestBadUserAgentIsSanitised(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("ua@example.com")
	c := e.client("Mozilla/5.0 \xff\xfe (X11; Linux x86_64)\tFirefox/133.0")
	c.signIn("ua@example.com")
	body := `{"email":"ua@example.com","password":"` + testPassword + `"}`
	raw := "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Mozilla/5.0 \x00\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if resp := rawExchange(t, e.serve(), raw); resp.StatusCode != 400 {
		t.Errorf("NUL in the User-Agent header: %d, want 400", resp.StatusCode)
	}
	_, _, err := e.auth.SignIn(t.Context(), "ua@example.com", testPassword,
		auth.Client{UserAgent: "Evil\x00Agent\r\n\x1b[31m\u0085\u2028", IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("sign in with control characters in the user agent: %v", err)
	}
	for _, s := range c.sessions() {
		if !utf8.ValidString(s.UserAgent) || strings.ContainsFunc(s.UserAgent, unicode.IsControl) {
			t.Errorf("stored user agent %q", s.UserAgent)
		}
	}
	checkNoErrorLogged(t, e)
}
