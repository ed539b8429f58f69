package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// policyForm is the policies form as an administrator sends it: every field, from the
// defaults, with the given changes ("" for a switch leaves it unticked).
func policyForm(changes map[string]string) url.Values {
	v := url.Values{
		"idle_timeout": {"7d"}, "absolute_lifetime": {"30d"}, "remember_lifetime": {"30d"}, "remember_offered": {"on"},
		"session_limit": {"100"}, "reauth_window": {"10m"}, "unverified_sign_in": {"on"}, "sign_in_mail": {"on"}, "country_mail": {"on"},
	}
	for k, val := range changes {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	return v
}

// newAdmin signs up an administrator whose proof of password is fresh.
func newAdmin(t *testing.T, e *env) *client {
	t.Helper()
	admin := e.client(uaChromeMac)
	admin.signUp("admin@example.com")
	grantAdmin(t, e, "admin@example.com")
	return admin
}

// The page describes every policy in plain words and where its value comes from; a save
// changes only what differs, records old, new, who and when, and shows them.
func TestPoliciesPageSavesWithHistory(t *testing.T) {
	e := newEnv(t)
	admin := newAdmin(t, e)
	r := admin.get("/admin/security/policies")
	if r.status != 200 {
		t.Fatalf("page: %d %.300s", r.status, r.body)
	}
	for _, want := range []string{"Idle timeout", "A session that nobody uses for this long ends by itself.", `value="7d"`,
		`name="remember_offered" type="checkbox" value="on" checked`, "the server&#39;s initial setting", "No policy has been changed here yet."} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	r = admin.form("/admin/security/policies", policyForm(map[string]string{"idle_timeout": "2h", "sign_in_mail": ""}))
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/admin/security/policies?saved=2") {
		t.Fatalf("save: %d %q %.300s", r.status, r.header.Get("Location"), r.body)
	}
	if got := e.auth.Config(); got.IdleTimeout != 2*time.Hour || got.SignInMail || !got.CountryMail {
		t.Fatalf("in force: idle %s, sign-in mail %v, country mail %v", got.IdleTimeout, got.SignInMail, got.CountryMail)
	}
	r = admin.get(r.header.Get("Location"))
	for _, want := range []string{"2 policies changed.", `value="2h"`, "set by an administrator", "<td>Idle timeout</td><td>7d</td><td>2h</td><td>admin@example.com</td>",
		"<td>On</td><td>Off</td>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("after save, page lacks %q", want)
		}
	}
	// The same values again: nothing changes, no history.
	admin.form("/admin/security/policies", policyForm(map[string]string{"idle_timeout": "120m", "sign_in_mail": ""}))
	history, err := e.store.PolicyHistory(context.Background(), 10)
	if err != nil || len(history) != 2 {
		t.Fatalf("history: %v %+v", err, history)
	}
}

// Every bad value answers 422 naming its field, marks it, keeps what was typed, and
// changes nothing.
func TestPoliciesRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	admin := newAdmin(t, e)
	cases := []struct{ field, value, label string }{
		{"idle_timeout", "a week", "Idle timeout"},
		{"idle_timeout", "0", "Idle timeout"},
		{"idle_timeout", "30s", "Idle timeout"},
		{"idle_timeout", "", "Idle timeout"},
		{"absolute_lifetime", "500d", "Absolute lifetime"},
		{"remember_lifetime", "31d", "&#34;Keep me signed in&#34; lifetime"},
		{"session_limit", "-1", "Sessions per person"},
		{"session_limit", "many", "Sessions per person"},
		{"session_limit", "99999999999", "Sessions per person"},
		{"reauth_window", "25h", "Re-authentication window"},
		{"reauth_window", "1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d", "Re-authentication window"},
	}
	for _, tc := range cases {
		values := policyForm(map[string]string{tc.field: tc.value})
		if tc.value == "" {
			values.Set(tc.field, "")
		}
		for _, htmx := range []bool{false, true} {
			var r response
			if htmx {
				values.Set("_csrf", admin.csrf())
				r = admin.do("POST", "/admin/security/policies", values.Encode(), map[string]string{
					"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
			} else {
				r = admin.form("/admin/security/policies", values)
			}
			if r.status != 422 || !strings.Contains(r.body, tc.label+":") || !strings.Contains(r.body, "Nothing was changed.") ||
				!strings.Contains(r.body, `id="`+tc.field+`-error"`) {
				t.Errorf("%s=%q (htmx %v): %d %.400s", tc.field, tc.value, htmx, r.status, r.body)
			}
			if htmx && strings.Contains(r.body, "<html") {
				t.Errorf("%s=%q: htmx got a whole page", tc.field, tc.value)
			}
		}
	}
	stored, err := e.store.Policies(context.Background())
	if err != nil || len(stored) != 0 || e.auth.Config().IdleTimeout != 7*24*time.Hour {
		t.Fatalf("a refused form changed something: %v %+v", err, stored)
	}
}

// Lowering the session limit or the idle timeout ends the sessions that now break it, in
// the same step: their rows say "Ended: policy change", their owner's activity says so,
// and their devices are told why.
func TestLoweringPoliciesEndsSessions(t *testing.T) {
	e := newEnv(t)
	admin := newAdmin(t, e)
	phone := e.client(uaSafariPhone)
	phone.signUp("person@example.com")
	laptop := e.client(uaFirefoxWin)
	laptop.signIn("person@example.com")
	desk := e.client(uaTauriLinux)
	desk.signIn("person@example.com")

	r := admin.form("/admin/security/policies", policyForm(map[string]string{"session_limit": "2"}))
	// The admin has one session, the person three: the least recently active one ends.
	if r.status != 303 || !strings.HasSuffix(r.header.Get("Location"), "ended=1") {
		t.Fatalf("limit: %d %q", r.status, r.header.Get("Location"))
	}
	if got := phone.get("/app/settings/security"); got.status != 303 || got.header.Get("Location") != "/login?ended=policy" {
		t.Fatalf("the phone (least recently active): %d %q", got.status, got.header.Get("Location"))
	}
	if got := phone.get("/login?ended=policy"); !strings.Contains(got.body, "ended by a change of the security rules") {
		t.Errorf("the phone's sign-in page does not say why")
	}
	page := laptop.get("/app/settings/security")
	if page.status != 200 || !strings.Contains(page.body, "Ended: policy change") || !strings.Contains(page.body, "signed out by a change of the security rules") {
		t.Fatalf("the person's page: %d %.2000s", page.status, page.body)
	}
	if got := laptop.json("GET", "/api/auth/sessions", ""); got.status != 200 {
		t.Fatalf("laptop: %d", got.status)
	}

	// Idle: the desk is not used for 3 hours; the laptop and the admin are.
	clock := time.Now().Add(3 * time.Hour)
	e.auth.SetClock(func() time.Time { return clock })
	laptop.get("/app/settings/security")
	admin.form("/app/settings/security/reauthenticate", url.Values{"password": {testPassword}, "next": {"/admin"}})
	r = admin.form("/admin/security/policies", policyForm(map[string]string{"session_limit": "2", "idle_timeout": "2h"}))
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "ended=1") {
		t.Fatalf("idle: %d %q", r.status, r.header.Get("Location"))
	}
	if got := desk.json("GET", "/api/auth/sessions", ""); got.status != 401 || !strings.Contains(got.body, "session_ended_by_policy") {
		t.Fatalf("the desk (idle): %d %s", got.status, got.body)
	}
	if got := laptop.json("GET", "/api/auth/sessions", ""); got.status != 200 {
		t.Fatalf("the laptop (in use) was ended: %d %s", got.status, got.body)
	}
}

// The sign-in policies: without "Keep me signed in" offered the box is gone and sessions
// end with the browser; with unverified accounts kept out, a right password of one is
// refused (403, the email field named) and nothing is started.
func TestSignInPolicies(t *testing.T) {
	e := newEnv(t)
	admin := newAdmin(t, e)
	person := e.client(uaFirefoxWin)
	person.signUp("person@example.com")
	r := admin.form("/admin/security/policies", policyForm(map[string]string{"remember_offered": "", "unverified_sign_in": ""}))
	if r.status != 303 {
		t.Fatalf("save: %d", r.status)
	}
	stranger := e.client(uaSafariPhone)
	if page := stranger.get("/login"); strings.Contains(page.body, `name="remember"`) {
		t.Errorf("the sign-in form still offers Keep me signed in")
	}
	got := stranger.json("POST", "/api/auth/sign-in/email", `{"email":"person@example.com","password":"`+testPassword+`"}`)
	if got.status != 403 || !strings.Contains(got.body, "EMAIL_NOT_VERIFIED") {
		t.Fatalf("unverified sign-in: %d %s", got.status, got.body)
	}
	page := stranger.form("/login", url.Values{"email": {"person@example.com"}, "password": {testPassword}})
	if page.status != 403 || !strings.Contains(page.body, "verify your email address first") || !strings.Contains(page.body, `id="email" name="email" type="email" autocomplete="username" required value="person@example.com" aria-invalid="true"`) {
		t.Fatalf("unverified sign-in form: %d %.1500s", page.status, page.body)
	}
	// An admin's own sign-in: verified or not, under the same rule; re-allow and check the
	// cookie is a browser-session one now.
	admin.form("/admin/security/policies", policyForm(map[string]string{"remember_offered": ""}))
	login := stranger.form("/login", url.Values{"email": {"person@example.com"}, "password": {testPassword}, "remember_box": {"1"}, "remember": {"1"}})
	if login.status != 303 {
		t.Fatalf("sign-in: %d", login.status)
	}
	seen := false
	for _, line := range login.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "session=") {
			seen = true
			if lower := strings.ToLower(line); strings.Contains(lower, "max-age") || strings.Contains(lower, "expires") {
				t.Errorf("a session cookie that outlives the browser: %s", line)
			}
		}
	}
	if !seen {
		t.Fatalf("no session cookie: %v", login.header.Values("Set-Cookie"))
	}
}

// Two instances on one database: a change saved on one is in force on the other within
// a second (NOTIFY), and the other enforces it.
func TestPolicyChangeReachesAnotherInstance(t *testing.T) {
	a := testserver.Start(t, testserver.Options{})
	b := testserver.Start(t, testserver.Options{DSN: a.DSN})
	ea := &env{t: t, app: a.App, store: a.Store, auth: a.Handler.AuthService(), base: a.URL, http: noRedirects}
	eb := &env{t: t, app: b.App, store: b.Store, auth: b.Handler.AuthService(), base: b.URL, http: noRedirects}
	admin := newAdmin(t, ea)
	person := eb.client(uaFirefoxWin)
	person.signUp("person@example.com")

	r := admin.form("/admin/security/policies", policyForm(map[string]string{"idle_timeout": "2m"}))
	if r.status != 303 {
		t.Fatalf("save on A: %d %.300s", r.status, r.body)
	}
	saved := time.Now()
	deadline := saved.Add(time.Second)
	for eb.auth.Config().IdleTimeout != 2*time.Minute {
		if time.Now().After(deadline) {
			t.Fatalf("B still has idle timeout %s a second after the save on A", eb.auth.Config().IdleTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("B had the change %s after A's answer", time.Since(saved))
	if got := person.json("GET", "/api/auth/sessions", ""); got.status != 200 {
		t.Fatalf("person on B: %d", got.status)
	}
	later := time.Now().Add(3 * time.Minute) // idle past the new timeout, far inside the old one
	eb.auth.SetClock(func() time.Time { return later })
	if got := person.json("GET", "/api/auth/sessions", ""); got.status != 401 || !strings.Contains(got.body, "session_expired") {
		t.Fatalf("B does not enforce the new idle timeout: %d %s", got.status, got.body)
	}
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// The JSON API: read the policies, change some (the others keep their values), and bad
// input is a 4xx naming the field with nothing changed.
func TestPoliciesAPI(t *testing.T) {
	e := newEnv(t)
	admin := newAdmin(t, e)
	me := admin.get("/api/admin/me")
	token := strings.Split(strings.Split(me.body, `"csrf_token":"`)[1], `"`)[0]
	put := func(body string) response {
		return admin.do("PUT", "/api/admin/policies", body, map[string]string{"Content-Type": "application/json", "X-CSRF-Token": token})
	}
	if r := admin.get("/api/admin/policies"); r.status != 200 || !strings.Contains(r.body, `"idle_timeout":"7d"`) || !strings.Contains(r.body, `"session_limit":100`) || !strings.Contains(r.body, `"sign_in_mail":true`) {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	for body, want := range map[string]string{
		`{"idle_timeout":"soon"}`:  `"error":"invalid_idle_timeout"`,
		`{"session_limit":"many"}`: `"error":"invalid_session_limit"`,
		`{"sign_in_mail":"no"}`:    `"error":"invalid_sign_in_mail"`,
		`{"colour":"blue"}`:        `"error":"unknown_colour"`,
		`{"reauth_window":"2d"}`:   `"error":"invalid_reauth_window"`,
		`not json`:                 `"error":"invalid_json"`,
	} {
		if r := put(body); r.status/100 != 4 || !strings.Contains(r.body, want) {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if stored, _ := e.store.Policies(context.Background()); len(stored) != 0 {
		t.Fatalf("a refused body changed %+v", stored)
	}
	r := put(`{"idle_timeout":"3h","sign_in_mail":false}`)
	if r.status != 200 || r.body != `{"changed":["idle_timeout","sign_in_mail"],"ended":0}` {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	if cfg := e.auth.Config(); cfg.IdleTimeout != 3*time.Hour || cfg.SignInMail || !cfg.CountryMail || cfg.SessionLimit != 100 {
		t.Fatalf("in force: %+v", cfg.Policy())
	}
}
