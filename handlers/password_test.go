package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/docodego/sessions/db"
)

const newPassword = "a brand new passphrase"

// passwordForm posts the change-password card, as a plain form or (hx) as htmx does.
func (c *client) changePassword(hx bool, current, next, confirm string, revokeOthers bool) response {
	v := url.Values{"current_password": {current}, "new_password": {next}, "confirm_password": {confirm}, "_csrf": {c.csrf()}}
	if revokeOthers {
		v.Set("revoke_others", "1")
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if hx {
		h["HX-Request"] = "true"
	}
	return c.do("POST", "/app/settings/security/password", v.Encode(), h)
}

// passwordHash is the stored hash, to see that a refused change changed nothing.
func (e *env) passwordHash(email string) string {
	e.t.Helper()
	return e.user(email).PasswordHash
}

// user is the account with this email.
func (e *env) user(email string) db.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(e.t.Context(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// The card works without JavaScript: errors re-render the page with the words, a
// change redirects back, and "sign out of all other sessions" (checked by default)
// ends the others (ASVS 3.3.3, 2.1.5, 2.1.6).
func TestChangePasswordWithoutJavaScript(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	page := mac.get("/app/settings/security")
	for _, want := range []string{`id="password-card"`, `name="current_password"`, `autocomplete="new-password"`,
		`<input type="checkbox" name="revoke_others" value="1" checked>`, "Sign out of all other sessions",
		`action="/app/settings/security/password"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("card has no %q", want)
		}
	}
	before := e.passwordHash("ada@example.com")
	refused := []struct {
		name, current, next, confirm string
		status                       int
		words, field                 string
	}{
		{"wrong current", "not my password", newPassword, newPassword, 400, "current password is not right", "current-password"},
		{"mismatch", testPassword, newPassword, newPassword + "!", 422, "do not match", "confirm-password"},
		{"too short", testPassword, "short", "short", 422, "at least 12 characters", "new-password"},
		{"common", testPassword, "password1234", "password1234", 422, "too common", "new-password"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := mac.changePassword(false, tt.current, tt.next, tt.confirm, true)
			if r.status != tt.status || !strings.Contains(r.body, tt.words) || !strings.Contains(r.body, `role="alert" id="password-error"`) {
				t.Fatalf("got %d, want %d with %q: %s", r.status, tt.status, tt.words, r.body)
			}
			if !strings.Contains(r.body, `id="`+tt.field+`" name=`) || !strings.Contains(r.body[strings.Index(r.body, `id="`+tt.field+`"`):], `aria-invalid="true"`) {
				t.Errorf("field %s not marked invalid", tt.field)
			}
			if e.passwordHash("ada@example.com") != before {
				t.Fatal("a refused change changed the password")
			}
			if r := win.get("/api/users/me/current-session"); r.status != 200 {
				t.Fatal("a refused change signed another device out")
			}
		})
	}
	r := mac.changePassword(false, testPassword, newPassword, newPassword, true)
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=changed_revoked" {
		t.Fatalf("change: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if p := mac.get("/app/settings/security?done=changed_revoked"); !strings.Contains(p.body, "all other sessions were signed out") {
		t.Error("no notice after the change")
	}
	for _, other := range []*client{win, desk} {
		if r := other.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, "session_revoked") {
			t.Errorf("other device still signed in: %d %s", r.status, r.body)
		}
	}
	if len(mac.sessions()) != 1 {
		t.Error("this device was signed out")
	}
	old := e.client(uaChromeMac).json("POST", "/api/auth/sign-in/email", `{"email":"ada@example.com","password":"`+testPassword+`"}`)
	fresh := e.client(uaChromeMac).json("POST", "/api/auth/sign-in/email", `{"email":"ada@example.com","password":"`+newPassword+`"}`)
	if old.status != 401 || fresh.status != 200 {
		t.Errorf("old password %d (want 401), new password %d (want 200)", old.status, fresh.status)
	}
}

// Unchecking the box keeps the other sessions.
func TestChangePasswordCanKeepOtherSessions(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	r := mac.changePassword(false, testPassword, newPassword, newPassword, false)
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=changed" {
		t.Fatalf("change: %d %q", r.status, r.header.Get("Location"))
	}
	if n := len(mac.sessions()); n != 3 {
		t.Errorf("want 3 sessions, got %d", n)
	}
	if r := win.get("/api/users/me/current-session"); r.status != 200 {
		t.Error("other session ended")
	}
}

// With htmx the answer is the card again (errors included, 200 so it swaps), the
// fresh sessions table and a live-region announcement.
func TestChangePasswordWithHTMX(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	bad := mac.changePassword(true, "not my password", newPassword, newPassword, true)
	if bad.status != 200 || strings.Contains(bad.body, "<html") || !strings.Contains(bad.body, `<section class="card" id="password-card"`) ||
		!strings.Contains(bad.body, "current password is not right") || strings.Contains(bad.body, "hx-partial") {
		t.Fatalf("wrong password: %d %s", bad.status, bad.body)
	}
	if !strings.Contains(bad.body, `id="current-password" name="current_password" type="password" autocomplete="current-password" required aria-invalid="true"`) {
		t.Error("current password not marked invalid")
	}
	r := mac.changePassword(true, testPassword, newPassword, newPassword, true)
	switch {
	case r.status != 200 || strings.Contains(r.body, "<html"):
		t.Fatalf("change: %d %s", r.status, r.body)
	case !strings.Contains(r.body, `<hx-partial hx-target="#live">Your password was changed and all other sessions were signed out.</hx-partial>`):
		t.Errorf("no live announcement: %s", r.body)
	case !strings.Contains(r.body, `<hx-partial hx-target="#sessions" hx-swap="outerHTML">`) || !strings.Contains(r.body, "1 active session"):
		t.Errorf("no fresh sessions table: %s", r.body)
	case !strings.Contains(r.body, `name="revoke_others" value="1" checked`):
		t.Error("the fresh card does not have the box checked")
	}
	if r := win.get("/api/auth/sessions"); r.status != 401 {
		t.Error("other device still signed in")
	}
	_ = e
}

// The form needs the CSRF token and a same-site request; refused ones change nothing.
func TestChangePasswordRefusedWithoutCSRFOrCrossSite(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	before := e.passwordHash("ada@example.com")
	body := url.Values{"current_password": {testPassword}, "new_password": {newPassword}, "confirm_password": {newPassword}, "revoke_others": {"1"}}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if r := mac.do("POST", "/app/settings/security/password", body.Encode(), form); r.status != 403 {
		t.Errorf("no token: %d", r.status)
	}
	if r := mac.do("POST", "/api/auth/change-password", `{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`"}`,
		map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}); r.status != 403 {
		t.Errorf("cross-site json: %d", r.status)
	}
	if e.passwordHash("ada@example.com") != before {
		t.Fatal("a refused request changed the password")
	}
	if r := win.get("/api/users/me/current-session"); r.status != 200 {
		t.Fatal("a refused request signed another device out")
	}
}

// POST /api/auth/change-password takes better-auth's body; revokeOtherSessions defaults
// to true here.
func TestChangePasswordAPI(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	before := e.passwordHash("ada@example.com")
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"wrong current", `{"currentPassword":"nope nope nope","newPassword":"` + newPassword + `"}`, 400, `"error":"invalid_password"`},
		{"weak new", `{"currentPassword":"` + testPassword + `","newPassword":"short"}`, 422, `"error":"invalid_new_password"`},
		{"malformed", `{"currentPassword":`, 400, `"error":"invalid_json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mac.json("POST", "/api/auth/change-password", tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.code) {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	if e.passwordHash("ada@example.com") != before || len(mac.sessions()) != 3 {
		t.Fatal("a refused change changed something")
	}
	keep := mac.json("POST", "/api/auth/change-password", `{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`","revokeOtherSessions":false}`)
	if keep.status != 200 || !strings.Contains(keep.body, `"revokedSessions":0`) || !strings.Contains(keep.body, `"token":null`) || len(mac.sessions()) != 3 {
		t.Fatalf("keep others: %d %s", keep.status, keep.body)
	}
	all := mac.json("POST", "/api/auth/change-password", `{"currentPassword":"`+newPassword+`","newPassword":"`+newPassword+` 2"}`)
	if all.status != 200 || !strings.Contains(all.body, `"revokedSessions":2`) {
		t.Fatalf("revoke others: %d %s", all.status, all.body)
	}
	for _, other := range []*client{win, desk} {
		if r := other.get("/api/auth/sessions"); r.status != 401 {
			t.Error("other device still signed in")
		}
	}
	if r := e.client(uaChromeMac).json("POST", "/api/auth/change-password", `{}`); r.status != 401 {
		t.Errorf("signed out: %d", r.status)
	}
}

// The new hash and the revocations commit together: when revoking fails, the password
// is not changed either (ASVS 3.3.3). A trigger makes the revoke fail.
func TestChangePasswordIsOneTransaction(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	before := e.passwordHash("ada@example.com")
	if _, err := e.store.DB().Exec(`
		CREATE FUNCTION refuse_revoke() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE EXCEPTION 'revoke refused by test'; END $$;
		CREATE TRIGGER refuse_revoke BEFORE UPDATE OF revoked_at ON sessions
		FOR EACH ROW EXECUTE FUNCTION refuse_revoke();`); err != nil {
		t.Fatal(err)
	}
	r := mac.changePassword(false, testPassword, newPassword, newPassword, true)
	if r.status != 500 {
		t.Fatalf("want the failure to show, got %d", r.status)
	}
	if e.passwordHash("ada@example.com") != before {
		t.Fatal("the password changed although the revocations failed")
	}
	if r := win.get("/api/users/me/current-session"); r.status != 200 {
		t.Fatal("other session ended")
	}
}
