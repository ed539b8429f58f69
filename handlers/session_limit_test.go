package handlers_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// A sign-in past SESSION_LIMIT ends the least recently active other session in its own
// transaction, records session_evicted, shows it as "ended: session limit", and its device
// is told why on its next request (JSON and page). The current session is never the one.
func TestSessionLimitEvictsLeastRecentlyActive(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.SessionLimit = 2 }})
	start := time.Now()
	e.auth.SetClock(func() time.Time { return start })
	oldest, recent := e.client(uaChromeMac), e.client(uaFirefoxWin)
	oldest.signUp("limit@example.com")
	e.auth.SetClock(func() time.Time { return start.Add(time.Minute) })
	recent.signIn("limit@example.com")
	recentID := recent.currentID()
	// The first one signed in first but was used last: the second is least recently active.
	e.auth.SetClock(func() time.Time { return start.Add(10 * time.Minute) })
	oldest.currentID()

	e.auth.SetClock(func() time.Time { return start.Add(11 * time.Minute) })
	newest := e.client(uaSafariPhone)
	newest.signIn("limit@example.com")
	if e.sessionLive(recentID) {
		t.Fatal("the least recently active session is still live")
	}
	if len(newest.sessions()) != 2 {
		t.Fatalf("want 2 live sessions, got %d", len(newest.sessions()))
	}
	page := newest.get("/app/settings/security").body
	for _, want := range []string{"Ended by a new sign-in on Safari on iPhone past your account", "was signed out: your account reached its limit"} {
		if !strings.Contains(page, want) {
			t.Errorf("security page lacks %q", want)
		}
	}
	if r := recent.get("/api/users/me/current-session"); r.status != 401 || !strings.Contains(r.body, `"session_evicted"`) {
		t.Fatalf("evicted device, JSON: %d %s", r.status, r.body)
	}
	e.auth.SetClock(func() time.Time { return start.Add(12 * time.Minute) })
	third := e.client(uaTauriLinux)
	third.signIn("limit@example.com") // evicts oldest now (newest was used later)
	if r := oldest.get("/app/settings/security"); r.status != 303 || r.header.Get("Location") != "/login?ended=limit" {
		t.Fatalf("evicted device, page: %d %s", r.status, r.header.Get("Location"))
	}
	if !strings.Contains(oldest.get("/login?ended=limit").body, "ended by a new sign-in on another device") {
		t.Error("the sign-in page does not say why")
	}
	// The limit never ends the session signing in, even at 1.
	one := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.SessionLimit = 1 }})
	a, b := one.client(uaChromeMac), one.client(uaFirefoxWin)
	a.signUp("one@example.com")
	b.signIn("one@example.com")
	if s := b.sessions(); len(s) != 1 || !s[0].Current {
		t.Fatalf("limit 1: %+v", s)
	}
}

// "Keep me signed in" unchecked: a cookie without Max-Age, a SESSION_SHORT_LIFETIME end,
// and the row's details say "Until the browser closes". Checked (the default, and better-auth's
// rememberMe missing or true) keeps the long cookie.
func TestKeepMeSignedIn(t *testing.T) {
	e := newEnv(t)
	a := e.client(uaChromeMac)
	a.signUp("keep@example.com")
	login := e.client(uaFirefoxWin)
	if !strings.Contains(login.get("/login").body, `name="remember" value="1" checked`) {
		t.Fatal("the box is not checked by default")
	}
	r := login.form("/login", url.Values{"email": {"keep@example.com"}, "password": {testPassword}, "remember_box": {"1"}})
	cookie := sessionCookie(r)
	if r.status != 303 || !strings.Contains(cookie, "session=") || strings.Contains(strings.ToLower(cookie), "max-age") || strings.Contains(strings.ToLower(cookie), "expires") {
		t.Fatalf("unchecked: %d %q", r.status, cookie)
	}
	cur := login.current()
	if got := cur.Session.ExpiresAt.Sub(cur.Session.CreatedAt); got != e.auth.Config().ShortLifetime {
		t.Errorf("short session lives %s", got)
	}
	if !strings.Contains(a.get("/app/settings/security/sessions/"+cur.Session.ID+"/revoke").body, "<dd>Until the browser closes</dd>") {
		t.Error("the row's details do not say it ends with the browser")
	}
	r = e.client(uaSafariPhone).form("/login", url.Values{"email": {"keep@example.com"}, "password": {testPassword}, "remember_box": {"1"}, "remember": {"1"}})
	if !strings.Contains(strings.ToLower(sessionCookie(r)), "max-age=") {
		t.Fatalf("checked: %q", sessionCookie(r))
	}
	api := e.client(uaTauriLinux)
	r = api.json("POST", "/api/auth/sign-in/email", `{"email":"keep@example.com","password":"`+testPassword+`","rememberMe":false}`)
	if r.status != 200 || strings.Contains(strings.ToLower(sessionCookie(r)), "max-age") || api.current().Session.Persistent {
		t.Fatalf("rememberMe false: %d %q", r.status, sessionCookie(r))
	}
}

// sessionCookie is the Set-Cookie line of the session cookie in r.
func sessionCookie(r response) string {
	for _, v := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "session=") {
			return v
		}
	}
	return ""
}

// Issue #26 (informational): an intruder who signs in a hundred times pushes the owner's
// sessions out through SESSION_LIMIT. It is seen for what it is: the evicted session is
// told a new sign-in on another device ended it and what to do; the owner's remaining
// session gets a notice that says how many it signed out (even from a browser the account
// knows); and sign-ins that end another browser's session are limited per account and
// address (429), while the owner signing in from elsewhere still works.
func TestIntruderPushingTheOwnerOutIsSeen(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	start := time.Now()
	at := func(d time.Duration) { e.auth.SetClock(func() time.Time { return start.Add(d) }) }
	at(0)
	laptop, phone := e.client(uaChromeMac), e.client(uaSafariPhone)
	laptop.signUp("owner@example.com")
	phone.signIn("owner@example.com")
	at(time.Second) // the laptop is the least recently active of all
	const idle = 12 // more of the owner's browsers, not in use during the attack
	for range idle {
		e.client(uaTauriLinux).signIn("owner@example.com")
	}
	limit := e.auth.Config().SessionLimit
	intruder := e.client(uaFirefoxWin)
	at(time.Minute)
	for i := range limit - 2 - idle { // fills the account to its limit: nobody is ended yet
		if r := intruder.signInFrom("2001:db8:bad::1", "owner@example.com", testPassword); r.status != 200 {
			t.Fatalf("intruder sign-in %d: %d %s", i, r.status, r.body)
		}
	}
	at(2 * time.Minute)
	phone.get("/api/users/me/current-session") // the owner's phone is in use
	ended, refused := 0, response{}
	for range idle + 2 {
		r := intruder.signInFrom("2001:db8:bad::2", "owner@example.com", testPassword)
		if r.status != 200 {
			refused = r
			break
		}
		ended++
	}
	checkRateLimited(t, refused)
	if want := e.auth.Config().SignInLimit; ended != want {
		t.Errorf("%d sign-ins ended others before the limit, want %d", ended, want)
	}
	r := laptop.get("/app/settings/security")
	if r.status != 303 || r.header.Get("Location") != "/login?ended=limit" {
		t.Fatalf("the owner's laptop: %d %q", r.status, r.header.Get("Location"))
	}
	if page := laptop.get("/login?ended=limit").body; !strings.Contains(page, "ended by a new sign-in on another device") ||
		!strings.Contains(page, "change your password") {
		t.Errorf("the evicted session is not told what happened:\n%s", page)
	}
	page := phone.get("/app/settings/security")
	if page.status != 200 || !strings.Contains(page.body, "It signed out 1 of your other sessions (session limit).") {
		t.Errorf("the owner's phone has no notice of the sign-in that ended the laptop: %d", page.status)
	}
	if !strings.Contains(page.body, "Ended by a new sign-in on Firefox on Windows past your account") {
		t.Error("the ended laptop's row does not say what ended it")
	}
	// The limit is the intruder's: the owner signs in from elsewhere.
	if r := e.client(uaTauriLinux).signInFrom("198.51.100.9", "owner@example.com", testPassword); r.status != 200 {
		t.Errorf("the owner from another address: %d %s", r.status, r.body)
	}
}
