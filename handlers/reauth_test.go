package handlers_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// stale moves the env's clock past the re-authentication window (and returns the time).
func (e *env) stale(from time.Time) time.Time {
	at := from.Add(e.auth.Config().ReauthWindow + time.Second)
	e.auth.SetClock(func() time.Time { return at })
	return at
}

// notFresh reports whether r is the API's refusal outside the window: better-auth's own
// shape (403, code SESSION_NOT_FRESH) with our error first.
func notFresh(r response) bool {
	var body struct{ Error, Code, Message string }
	return r.status == 403 && json.Unmarshal([]byte(r.body), &body) == nil &&
		body.Error == "reauthentication_required" && body.Code == "SESSION_NOT_FRESH" && body.Message != ""
}

// The window boundary, with an injected clock: a sign-in is a proof; one second before the
// window ends a revoke works, at its end it is refused, until the password is entered
// again; then it works again. Signing out oneself never needs a proof.
func TestReauthWindowBoundary(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	start := time.Now()
	e.auth.SetClock(func() time.Time { return start })
	signedInAt := mac.current().Session.ProvenAt
	window := e.auth.Config().ReauthWindow

	e.auth.SetClock(func() time.Time { return signedInAt.Add(window - time.Second) })
	if r := mac.do("DELETE", "/api/auth/sessions/"+win.currentID(), "", nil); r.status != 204 {
		t.Fatalf("inside the window: %d %s", r.status, r.body)
	}
	e.auth.SetClock(func() time.Time { return signedInAt.Add(window) })
	deskID := desk.currentID()
	if r := mac.do("DELETE", "/api/auth/sessions/"+deskID, "", nil); !notFresh(r) {
		t.Fatalf("at the window's end: %d %s", r.status, r.body)
	}
	if r := mac.do("DELETE", "/api/auth/sessions", "", nil); !notFresh(r) {
		t.Fatalf("revoke others at the window's end: %d %s", r.status, r.body)
	}
	if len(mac.sessions()) != 2 {
		t.Fatal("a refused revoke ended a session")
	}
	if r := mac.json("POST", "/api/auth/reauthenticate", `{"password":"wrong password here"}`); r.status != 400 || !strings.Contains(r.body, "invalid_password") {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	if r := mac.json("POST", "/api/auth/reauthenticate", `{"password":"`+testPassword+`"}`); r.status != 200 {
		t.Fatalf("reauthenticate: %d %s", r.status, r.body)
	}
	if r := mac.do("DELETE", "/api/auth/sessions/"+deskID, "", nil); r.status != 204 {
		t.Fatalf("after reauthenticating: %d %s", r.status, r.body)
	}
	if !strings.Contains(mac.get("/app/settings/security").body, "You confirmed your password on") {
		t.Error("the proof is not in the security activity")
	}
	// Long after: the own session still signs out without a proof.
	e.stale(signedInAt.Add(time.Hour))
	if r := mac.json("POST", "/api/auth/sign-out", ``); r.status != 200 {
		t.Fatalf("sign out outside the window: %d %s", r.status, r.body)
	}
}

// REAUTH_WINDOW=0 turns the rule off.
func TestReauthWindowZeroIsOff(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.ReauthWindow = 0 }})
	a, b := e.client(uaChromeMac), e.client(uaFirefoxWin)
	a.signUp("off@example.com")
	b.signIn("off@example.com")
	e.auth.SetClock(func() time.Time { return time.Now().Add(24 * time.Hour) })
	if r := a.do("DELETE", "/api/auth/sessions", "", nil); r.status != 200 {
		t.Fatalf("revoke others with the rule off: %d %s", r.status, r.body)
	}
}

// A changed password is a proof too.
func TestPasswordChangeStartsTheWindow(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	at := e.stale(time.Now())
	if r := mac.json("POST", "/api/auth/change-password", `{"currentPassword":"`+testPassword+
		`","newPassword":"another long passphrase","revokeOtherSessions":false}`); r.status != 200 {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	e.auth.SetClock(func() time.Time { return at.Add(time.Minute) })
	if r := mac.do("DELETE", "/api/auth/sessions/"+win.currentID(), "", nil); r.status != 204 {
		t.Fatalf("revoke after a password change: %d %s", r.status, r.body)
	}
}

// The dialog outside the window: the question asks for the password (one labelled field,
// autocomplete=current-password, and why); a wrong one answers the question again with an
// inline error into the dialog and the row stays; the right one revokes in the same step.
func TestReauthInTheConfirmDialog(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	e.stale(time.Now())
	winID := win.currentID()
	q := mac.htmx("GET", "/app/settings/security/sessions/"+winID+"/revoke")
	for _, want := range []string{`<label for="reauth-password">`, `id="reauth-password" name="password" type="password" autocomplete="current-password"`,
		"For your security, confirm it&#39;s you", `hx-post="/app/settings/security/sessions/` + winID + `/revoke"`} {
		if !strings.Contains(q.body, want) {
			t.Fatalf("question lacks %q:\n%s", want, q.body)
		}
	}
	// the CSRF token and the password (and the CSRF token of "This was me", the row being flagged)
	if strings.Count(q.body, "<input")-strings.Count(q.body, `class="this-was-me"`) != 2 {
		t.Errorf("want exactly one field besides the token:\n%s", q.body)
	}
	hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": mac.csrf(), "Content-Type": "application/x-www-form-urlencoded"}
	r := mac.do("POST", "/app/settings/security/sessions/"+winID+"/revoke", url.Values{"password": {"not my password at all"}}.Encode(), hx)
	if r.status != 200 || r.header.Get("HX-Retarget") != "#confirm-dialog" ||
		!strings.Contains(r.body, `role="alert">That password is not right`) || !strings.Contains(r.body, `aria-invalid="true" autofocus`) {
		t.Fatalf("wrong password: %d %v\n%s", r.status, r.header, r.body)
	}
	if !e.sessionLive(winID) {
		t.Fatal("a wrong password revoked the session")
	}
	r = mac.do("POST", "/app/settings/security/sessions/"+winID+"/revoke", url.Values{"password": {testPassword}}.Encode(), hx)
	if r.status != 200 || strings.Contains(r.body, "session-"+winID) || e.sessionLive(winID) {
		t.Fatalf("right password did not revoke: %d\n%s", r.status, r.body)
	}
	// The window started: the next revoke needs no password.
	if q := mac.htmx("GET", "/app/settings/security/sessions/revoke-others"); strings.Contains(q.body, "reauth-password") {
		t.Error("asked for the password again inside the window")
	}
}

// Without JavaScript: the confirm page carries the field; posting without the password
// answers 403 with the page again; with it, the revoke happens.
func TestReauthOnTheConfirmPage(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	e.stale(time.Now())
	winID := win.currentID()
	if p := mac.get("/app/settings/security/sessions/revoke-others"); !strings.Contains(p.body, `autocomplete="current-password"`) {
		t.Fatalf("confirm page lacks the password field:\n%s", p.body)
	}
	r := mac.form("/app/settings/security/sessions/revoke-others", url.Values{})
	if r.status != 403 || !strings.Contains(r.body, `id="reauth-password"`) || !e.sessionLive(winID) {
		t.Fatalf("without the password: %d\n%s", r.status, r.body)
	}
	r = mac.form("/app/settings/security/sessions/revoke-others", url.Values{"password": {testPassword}})
	if r.status != 303 || e.sessionLive(winID) {
		t.Fatalf("with the password: %d %s", r.status, r.body)
	}
}

// Re-authentication is limited per session like a password change's current password:
// after PasswordCheckLimit wrong ones, even the right one is refused with 429.
func TestReauthIsRateLimited(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.PasswordCheckLimit = 3 }})
	a := e.client(uaChromeMac)
	a.signUp("limited@example.com")
	for i := 0; i < 3; i++ {
		if r := a.json("POST", "/api/auth/reauthenticate", `{"password":"wrong password here"}`); r.status != 400 {
			t.Fatalf("wrong %d: %d %s", i, r.status, r.body)
		}
	}
	r := a.json("POST", "/api/auth/reauthenticate", `{"password":"`+testPassword+`"}`)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("past the limit: %d %s", r.status, r.body)
	}
}

// better-auth's revoke routes answer a stale session with better-auth's own code.
func TestBetterAuthRevokeOutsideWindow(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	e.stale(time.Now())
	for path, body := range map[string]string{
		"/api/auth/revoke-session":        `{"token":"` + win.currentID() + `"}`,
		"/api/auth/revoke-other-sessions": `{}`,
		"/api/auth/revoke-sessions":       `{}`,
	} {
		if r := mac.json("POST", path, body); !notFresh(r) {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	if len(mac.sessions()) != 3 {
		t.Error("a stale better-auth revoke ended a session")
	}
	// Revoking its own session is signing out: no proof needed.
	if r := mac.json("POST", "/api/auth/revoke-session", `{"token":"`+mac.currentID()+`"}`); r.status != 200 {
		t.Fatalf("own session: %d %s", r.status, r.body)
	}
}

// sessionLive reports whether the session with this id exists and is not revoked.
func (e *env) sessionLive(id string) bool {
	e.t.Helper()
	live, _, err := e.store.SessionLive(e.t.Context(), id, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return live
}
