package handlers_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// signInFrom posts the JSON sign-in as if from ip: the env trusts the app.Test peer
// (0.0.0.0) as a proxy, so X-Forwarded-For names the client.
func (c *client) signInFrom(ip, email, password string) response {
	return c.do("POST", "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+password+`"}`,
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": ip})
}

func checkRateLimited(t *testing.T, r response) {
	t.Helper()
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || err != nil || secs < 1 || secs > 600 {
		t.Fatalf("want 429 with Retry-After in 1..600 s, got %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

// Ten failed attempts on one account, from ten addresses, lock the account for the
// window, even for the right password; other accounts on those addresses still work;
// after the window it opens again (ASVS 2.2.1).
func TestSignInRateLimitPerAccount(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	e.client(uaChromeMac).signUp("locked@example.com")
	e.client(uaChromeMac).signUp("free@example.com")
	c := e.client(uaFirefoxWin)
	for i := range 10 {
		if r := c.signInFrom(fmt.Sprintf("203.0.113.%d", i), "locked@example.com", "wrong password!"); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	r := c.signInFrom("198.51.100.1", "LOCKED@example.com", testPassword)
	checkRateLimited(t, r)
	if !strings.Contains(r.body, `"error":"rate_limited"`) || !strings.Contains(r.body, `"message":"Too many attempts. Please wait a few minutes and try again."`) {
		t.Errorf("body %s", r.body)
	}
	if r := c.signInFrom("203.0.113.1", "free@example.com", testPassword); r.status != 200 {
		t.Errorf("another account from a used address: %d", r.status)
	}
	later := time.Now().Add(10*time.Minute + time.Second)
	e.auth.SetClock(func() time.Time { return later })
	if r := c.signInFrom("198.51.100.1", "locked@example.com", testPassword); r.status != 200 {
		t.Errorf("after the window: %d %s", r.status, r.body)
	}
}

// Ten failed attempts from one address, on any accounts (unknown ones too), lock that
// address; another address still signs in. Successful sign-ins do not count.
func TestSignInRateLimitPerIP(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	e.client(uaChromeMac).signUp("real@example.com")
	c := e.client(uaFirefoxWin)
	for i := range 12 {
		if r := c.signInFrom("203.0.113.9", "real@example.com", testPassword); r.status != 200 {
			t.Fatalf("success %d counted against the limit: %d", i, r.status)
		}
	}
	for i := range 10 {
		if r := c.signInFrom("203.0.113.9", fmt.Sprintf("nobody%d@example.com", i), "wrong password!"); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	checkRateLimited(t, c.signInFrom("203.0.113.9", "real@example.com", testPassword))
	if r := c.signInFrom("203.0.113.10", "real@example.com", testPassword); r.status != 200 {
		t.Errorf("another address: %d", r.status)
	}
	// The HTML form answers 429 with the same plain words.
	page := c.do("POST", "/login", url.Values{"email": {"real@example.com"}, "password": {testPassword}, "_csrf": {c.csrf()}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "203.0.113.9"})
	checkRateLimited(t, page)
	if !strings.Contains(page.body, `<p class="error" role="alert" id="form-error">Too many attempts. Please wait a few minutes and try again.</p>`) {
		t.Errorf("form page: %s", page.body)
	}
}

// A spoofed X-Forwarded-For from an untrusted peer does not dodge the per-IP limit.
func TestSignInRateLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaFirefoxWin)
	for i := range 10 {
		c.signInFrom(fmt.Sprintf("203.0.113.%d", i), fmt.Sprintf("x%d@example.com", i), "wrong password!")
	}
	checkRateLimited(t, c.signInFrom("198.51.100.200", "y@example.com", "wrong password!"))
}

// The counters live in PostgreSQL: two app instances on one database share them.
func TestSignInRateLimitAcrossInstances(t *testing.T) {
	one := newEnvWith(t, envOptions{})
	two := newEnvWith(t, envOptions{store: one.store})
	one.client(uaChromeMac).signUp("shared@example.com")
	for i := range 10 {
		e := []*env{one, two}[i%2]
		if r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"shared@example.com","password":"wrong password!"}`); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	checkRateLimited(t, two.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"shared@example.com","password":"`+testPassword+`"}`))
}

// Unknown email and wrong password get the same answer, and both run the password KDF
// once, so neither the words nor the work tell which accounts exist (ASVS 2.2.1, 3.x).
func TestUnknownEmailAndWrongPasswordLookAlike(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.SignInLimit = 100 }})
	e.client(uaChromeMac).signUp("known@example.com")
	var runs atomic.Int64
	e.auth.SetPasswordCheck(func(password, encoded string) (bool, error) {
		runs.Add(1)
		return auth.CheckPassword(password, encoded)
	})
	answer := func(email string) (response, int64) {
		runs.Store(0)
		r := e.client(uaChromeMac).json("POST", "/api/auth/sign-in/email", `{"email":"`+email+`","password":"wrong password!"}`)
		return r, runs.Load()
	}
	wrong, wrongRuns := answer("known@example.com")
	unknown, unknownRuns := answer("unknown@example.com")
	if wrong.status != 401 || wrong.status != unknown.status || wrong.body != unknown.body {
		t.Errorf("answers differ: %d %s / %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	if wrongRuns != 1 || unknownRuns != 1 {
		t.Errorf("KDF runs: wrong password %d, unknown email %d; want 1 each", wrongRuns, unknownRuns)
	}
	// The forms too: TestSignUpAndSignInForms checks the same words for both.
	f1 := e.client(uaChromeMac).form("/login", url.Values{"email": {"known@example.com"}, "password": {"wrong password!"}})
	f2 := e.client(uaChromeMac).form("/login", url.Values{"email": {"unknown@example.com"}, "password": {"wrong password!"}})
	token := regexp.MustCompile(`"[A-Za-z0-9_-]{43}"`) // the browser's CSRF token
	strip := func(s string) string { return token.ReplaceAllString(strings.ReplaceAll(s, "unknown@", "known@"), "") }
	if f1.status != f2.status || strip(f1.body) != strip(f2.body) {
		t.Error("the sign-in form answers differ beyond the email typed")
	}
}
