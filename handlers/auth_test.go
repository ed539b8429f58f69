package handlers_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestSignUpAndSignInForms(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaFirefoxWin)
	if r := c.get("/signup"); r.status != 200 || !strings.Contains(r.body, `name="_csrf"`) {
		t.Fatalf("signup page: %d", r.status)
	}
	r := c.form("/signup", url.Values{"name": {"Lin"}, "email": {"lin@example.com"}, "password": {testPassword}})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security" {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "HttpOnly") || cookie == "" {
		t.Error("session cookie is not HttpOnly")
	}
	if r := c.get("/app/settings/security"); r.status != 200 {
		t.Fatalf("page after signup: %d", r.status)
	}
	if r := c.form("/logout", url.Values{}); r.status != 303 || r.header.Get("Location") != "/login?signed_out=1" {
		t.Fatalf("logout: %d", r.status)
	}
	if r := c.get("/app/settings/security"); r.status != 303 {
		t.Fatalf("still signed in after logout: %d", r.status)
	}

	other := e.client(uaChromeMac)
	wrong := other.form("/login", url.Values{"email": {"lin@example.com"}, "password": {"wrong password!"}})
	unknown := other.form("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password!"}})
	for _, r := range []response{wrong, unknown} {
		if r.status != 401 || !strings.Contains(r.body, "That email and password don&#39;t match an account.") {
			t.Fatalf("bad sign-in: %d", r.status)
		}
	}
	if r := other.form("/login", url.Values{"email": {"LIN@example.com"}, "password": {testPassword}}); r.status != 303 {
		t.Fatalf("sign in: %d", r.status)
	}
}

func TestSignUpFormErrors(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("taken@example.com")
	tests := []struct {
		name  string
		form  url.Values
		words string
	}{
		{"short password", url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"short"}}, "at least 12 characters"},
		{"common password", url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"password1234"}}, "too common"},
		{"bad email", url.Values{"name": {"A"}, "email": {"not an email"}, "password": {testPassword}}, "valid email"},
		{"no name", url.Values{"name": {" "}, "email": {"a@example.com"}, "password": {testPassword}}, "enter your name"},
		{"taken", url.Values{"name": {"A"}, "email": {"Taken@example.com"}, "password": {testPassword}}, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.client(uaChromeMac).form("/signup", tt.form)
			if r.status != 422 || !strings.Contains(r.body, tt.words) || !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Fatalf("got %d, want 422 with %q", r.status, tt.words)
			}
		})
	}
}

func TestFormsNeedCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.get("/login")
	r := c.do("POST", "/signup", url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {testPassword}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 403 || !strings.Contains(r.body, "This form has expired") {
		t.Fatalf("signup without token: %d %s", r.status, r.body)
	}
	if _, err := e.store.UserByEmail(t.Context(), "a@example.com"); err == nil {
		t.Fatal("the refused form created an account")
	}
}

func TestAPISignInErrors(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("api@example.com")
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"wrong password", `{"email":"api@example.com","password":"nope nope nope"}`, 401, `{"error":"invalid_credentials","code":"INVALID_EMAIL_OR_PASSWORD"`},
		{"unknown email", `{"email":"who@example.com","password":"nope nope nope"}`, 401, `{"error":"invalid_credentials","code":"INVALID_EMAIL_OR_PASSWORD"`},
		{"malformed json", `{"email":`, 400, `"error":"invalid_json"`},
		{"wrong types", `{"email":5}`, 400, `"error":"invalid_json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.client(uaChromeMac).json("POST", "/api/auth/sign-in/email", tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.code) {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
}

// Size limits are enforced by the HTTP server itself, so these go over a real socket.
func TestOversizedRequestsAreRefused(t *testing.T) {
	base := newEnv(t).serve()
	big := httpRequest(t, "POST", base+"/api/auth/sign-in/email", strings.Repeat("a", 70*1024), nil)
	if big.status != 413 || !strings.Contains(big.body, `"error":"body_too_large"`) {
		t.Errorf("huge body: %d %s", big.status, big.body)
	}
	// The server answers 431 and closes while the client may still be writing the header;
	// the kernel can then reset the connection before the client reads the answer. A reset
	// is a refusal too, but one of a few tries must show the 431 itself.
	var huge response
	for try := 0; try < 5 && huge.status == 0; try++ {
		huge = tryHTTPRequest(t, "GET", base+"/login", map[string]string{"User-Agent": strings.Repeat("A", 20*1024)})
	}
	if huge.status != 431 {
		t.Errorf("huge header: %d %s", huge.status, huge.body)
	}
	if strings.Contains(big.body+huge.body, "ReadBufferSize") || strings.Contains(big.body+huge.body, "limit") {
		t.Error("internal error text reached the client")
	}
}
