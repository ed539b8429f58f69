package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// adminRoutes is every route of the app's table under /admin or /api/admin (middleware
// excluded), with its parameters filled in.
func adminRoutes(e *env) [][2]string {
	var out [][2]string
	for _, r := range e.app.GetRoutes(true) {
		if r.Path != "/admin" && !strings.HasPrefix(r.Path, "/admin/") && !strings.HasPrefix(r.Path, "/api/admin/") && r.Path != "/api/admin" {
			continue
		}
		var parts []string
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, ":") {
				seg = "00000000-0000-4000-8000-000000000001"
			}
			parts = append(parts, seg)
		}
		out = append(out, [2]string{r.Method, strings.Join(parts, "/")})
	}
	return out
}

// grantAdmin makes the account an administrator the way the command line does.
func grantAdmin(t *testing.T, e *env, email string) {
	t.Helper()
	if _, err := auth.NewRoster(e.store).Grant(context.Background(), email, "test", "test"); err != nil {
		t.Fatal(err)
	}
}

// request sends method path as a browser page would (form with its CSRF token for unsafe
// methods) or as an API client (JSON).
func (c *client) adminRequest(method, path string) response {
	c.e.t.Helper()
	headers := map[string]string{"X-CSRF-Token": c.csrf()}
	if strings.HasPrefix(path, "/api/") {
		headers["Content-Type"] = "application/json"
		return c.do(method, path, "{}", headers)
	}
	headers["Content-Type"] = "application/x-www-form-urlencoded"
	return c.do(method, path, "", headers)
}

// Every admin route refuses a signed-in person without the role (403, a page for HTML and
// admin_required for JSON), sends the signed-out to sign in, and asks an administrator
// whose proof of password is stale for it again. The table is walked, so a route added
// later without the guard fails here.
func TestEveryAdminRouteIsGuarded(t *testing.T) {
	e := newEnv(t)
	routes := adminRoutes(e)
	if len(routes) < 2 {
		t.Fatalf("the route table has %d admin routes: the walk found nothing to check", len(routes))
	}
	person := e.client(uaFirefoxWin)
	person.signUp("person@example.com")
	admin := e.client(uaChromeMac)
	admin.signUp("admin@example.com")
	grantAdmin(t, e, "admin@example.com")
	stranger := e.client(uaSafariPhone)

	for _, r := range routes {
		method, path := r[0], r[1]
		api := strings.HasPrefix(path, "/api/")
		got := person.adminRequest(method, path)
		if got.status != 403 {
			t.Errorf("non-admin %s %s: status %d, want 403", method, path, got.status)
		} else if method != "HEAD" {
			if api && !strings.Contains(got.body, `"error":"admin_required"`) {
				t.Errorf("non-admin %s %s: body %s", method, path, got.body)
			}
			if !api && !strings.Contains(got.body, "This page is for administrators only.") {
				t.Errorf("non-admin %s %s: no plain-words page: %.300s", method, path, got.body)
			}
		}
		got = stranger.adminRequest(method, path)
		if api && got.status != 401 || !api && (got.status != 303 || !strings.HasPrefix(got.header.Get("Location"), "/login")) {
			t.Errorf("signed out %s %s: status %d location %q", method, path, got.status, got.header.Get("Location"))
		}
	}

	// Stale: the proof of password is older than the window.
	clock := time.Now().Add(auth.DefaultConfig().ReauthWindow + time.Minute)
	e.auth.SetClock(func() time.Time { return clock })
	for _, r := range routes {
		method, path := r[0], r[1]
		got := admin.adminRequest(method, path)
		if got.status != 403 {
			t.Errorf("stale admin %s %s: status %d, want 403", method, path, got.status)
			continue
		}
		if method == "HEAD" {
			continue
		}
		if strings.HasPrefix(path, "/api/") {
			if !strings.Contains(got.body, `"error":"reauthentication_required"`) {
				t.Errorf("stale admin %s %s: body %s", method, path, got.body)
			}
		} else if !strings.Contains(got.body, `id="admin-reauth"`) {
			t.Errorf("stale admin %s %s: no re-authentication prompt: %.300s", method, path, got.body)
		}
	}
}

// The prompt's form: a wrong or missing password asks again (400, the password field
// marked), the right one starts the window and returns to the admin page it came from,
// never to another site.
func TestAdminReauthenticationPrompt(t *testing.T) {
	e := newEnv(t)
	admin := e.client(uaChromeMac)
	admin.signUp("admin@example.com")
	grantAdmin(t, e, "admin@example.com")
	if r := admin.get("/admin"); r.status != 200 || !strings.Contains(r.body, "Administrator activity") {
		t.Fatalf("fresh admin: %d %.300s", r.status, r.body)
	}
	clock := time.Now().Add(11 * time.Minute)
	e.auth.SetClock(func() time.Time { return clock })
	r := admin.get("/admin?x=1")
	if r.status != 403 || !strings.Contains(r.body, `name="next" value="/admin?x=1"`) {
		t.Fatalf("stale admin: %d %.500s", r.status, r.body)
	}
	for _, tc := range []struct{ password, want string }{
		{"", "Enter your password"},
		{"wrong password here", "password"},
	} {
		r = admin.form("/app/settings/security/reauthenticate", url.Values{"password": {tc.password}, "next": {"/admin"}})
		if r.status != 400 || !strings.Contains(r.body, `aria-invalid="true"`) || !strings.Contains(r.body, `id="admin-reauth-error"`) {
			t.Errorf("password %q: %d %.500s", tc.password, r.status, r.body)
		}
		if got := admin.get("/admin"); got.status != 403 {
			t.Errorf("password %q started the window: %d", tc.password, got.status)
		}
	}
	r = admin.form("/app/settings/security/reauthenticate", url.Values{"password": {testPassword}, "next": {"https://evil.example/admin"}})
	if r.status != 303 || r.header.Get("Location") != "/admin" {
		t.Fatalf("right password, foreign next: %d %q", r.status, r.header.Get("Location"))
	}
	r = admin.form("/app/settings/security/reauthenticate", url.Values{"password": {testPassword}, "next": {"/admin?x=1"}})
	if r.status != 303 || r.header.Get("Location") != "/admin?x=1" {
		t.Fatalf("right password: %d %q", r.status, r.header.Get("Location"))
	}
	if r = admin.get("/admin"); r.status != 200 {
		t.Fatalf("after re-authentication: %d", r.status)
	}
}

// An unsafe request under /admin without the CSRF token is refused by the guard, even for
// a path no route has; with the token it reaches the table (404).
func TestAdminGuardChecksCSRF(t *testing.T) {
	e := newEnv(t)
	admin := e.client(uaChromeMac)
	admin.signUp("admin@example.com")
	grantAdmin(t, e, "admin@example.com")
	r := admin.do("POST", "/admin/no-such-thing", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 403 {
		t.Fatalf("no token: %d", r.status)
	}
	r = admin.do("POST", "/api/admin/no-such-thing", "{}", map[string]string{"Content-Type": "application/json"})
	if r.status != 403 || !strings.Contains(r.body, "csrf_token_invalid") {
		t.Fatalf("API, no token: %d %s", r.status, r.body)
	}
	if r = admin.adminRequest("POST", "/admin/no-such-thing"); r.status != 404 {
		t.Fatalf("with token: %d", r.status)
	}
	me := admin.get("/api/admin/me")
	if me.status != 200 || !strings.Contains(me.body, `"csrf_token"`) || !strings.Contains(me.body, "admin@example.com") {
		t.Fatalf("me: %d %s", me.status, me.body)
	}
}

// Every request through the guard is on the audit trail: who, from where, what, result.
// A revoke from the command line takes effect on the next request.
func TestAdminRequestsAreAuditedAndRevokeIsImmediate(t *testing.T) {
	e := newEnv(t)
	admin := e.client(uaChromeMac)
	admin.signUp("admin@example.com")
	person := e.client(uaFirefoxWin)
	person.signUp("person@example.com")
	grantAdmin(t, e, "admin@example.com")
	if r := admin.get("/admin"); r.status != 200 {
		t.Fatalf("admin: %d", r.status)
	}
	if r := person.get("/api/admin/me"); r.status != 403 {
		t.Fatalf("person: %d", r.status)
	}
	entries, err := e.store.AdminAudit(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var sawAdmin, sawPerson, sawGrant bool
	for _, en := range entries {
		switch {
		case en.ActorEmail == "admin@example.com" && en.Action == "GET /admin" && en.Status == 200:
			sawAdmin = en.IP != "" && strings.Contains(en.UserAgent, "Chrome") && en.ActorSession.Valid
		case en.ActorEmail == "person@example.com" && en.Action == "GET /api/admin/me" && en.Status == 403:
			sawPerson = strings.Contains(en.UserAgent, "Firefox")
		case en.Action == "admin grant" && en.ActorEmail == "cli:test":
			sawGrant = en.TargetUserID.Valid
		}
	}
	if !sawAdmin || !sawPerson || !sawGrant {
		t.Fatalf("audit trail admin=%v person=%v grant=%v: %+v", sawAdmin, sawPerson, sawGrant, entries)
	}
	if r := admin.get("/admin"); !strings.Contains(r.body, "GET /api/admin/me") {
		t.Errorf("the admin page does not show the trail: %.500s", r.body)
	}
	if _, err := auth.NewRoster(e.store).Revoke(context.Background(), "admin@example.com", "test", "test"); err != nil {
		t.Fatal(err)
	}
	if r := admin.get("/admin"); r.status != 403 {
		t.Fatalf("after revoke: %d", r.status)
	}
}
