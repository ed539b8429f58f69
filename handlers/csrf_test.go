package handlers_test

import (
	"net/url"
	"strings"
	"testing"
)

// The CSRF token counts only in the form body or the X-CSRF-Token header. A token in the
// query string would let a link or an image carry it, and would leak it into logs and
// Referer headers; other form fields (a password!) are not read from the URL either.
func TestCSRFTokenNotReadFromQueryString(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	token := c.csrf()
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	fields := url.Values{"name": {"Q"}, "email": {"q@example.com"}, "password": {testPassword}}

	r := c.do("POST", "/signup?_csrf="+url.QueryEscape(token), fields.Encode(), form)
	if r.status != 403 || !strings.Contains(r.body, "This form has expired") {
		t.Errorf("token in the query string: %d, want 403", r.status)
	}
	if _, err := e.store.UserByEmail(t.Context(), "q@example.com"); err == nil {
		t.Fatal("a token from the query string created an account")
	}

	// Fields in the URL are ignored: only the body's count.
	query := url.Values{"_csrf": {token}, "name": {"Q"}, "email": {"q@example.com"}, "password": {testPassword}}
	r = c.do("POST", "/signup?"+query.Encode(), url.Values{"_csrf": {token}}.Encode(), form)
	if r.status != 422 {
		t.Errorf("fields in the query string: %d, want 422 (name required)", r.status)
	}

	// The body and the header still work.
	if r := c.do("POST", "/signup", url.Values{"_csrf": {token}, "name": {"Q"}, "email": {"q@example.com"},
		"password": {testPassword}}.Encode(), form); r.status != 303 {
		t.Fatalf("token in the body: %d %s", r.status, r.body)
	}
	if r := c.htmx("POST", "/settings/language"); r.status != 400 {
		t.Errorf("token in the header: %d, want 400 (no language chosen)", r.status)
	}
}
