package handlers_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// signUpFrom posts the JSON sign-up as if from ip.
func (c *client) signUpFrom(ip, email string) response {
	return c.do("POST", "/api/auth/sign-up/email", `{"name":"Test Person","email":"`+email+`","password":"`+testPassword+`"}`,
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": ip})
}

// checkSignUpLimited wants 429 with a Retry-After within the sign-up window.
func checkSignUpLimited(t *testing.T, r response) {
	t.Helper()
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || err != nil || secs < 1 || secs > int(auth.DefaultConfig().SignUpWindow.Seconds()) {
		t.Fatalf("want 429 with Retry-After within the window, got %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

// One address can create SignUpLimit accounts per window; the next is refused with 429
// and Retry-After (JSON and form alike), another address still signs up, and each new
// account is signed in at once.
func TestSignUpRateLimitPerIP(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	for i := range auth.DefaultConfig().SignUpLimit {
		c := e.client(uaChromeMac)
		if r := c.signUpFrom("203.0.113.5", fmt.Sprintf("p%d@example.com", i)); r.status != 200 {
			t.Fatalf("sign-up %d: %d %s", i, r.status, r.body)
		}
		if r := c.get("/api/users/me/current-session"); r.status != 200 {
			t.Fatalf("sign-up %d is not signed in: %d", i, r.status)
		}
	}
	r := e.client(uaChromeMac).signUpFrom("203.0.113.5", "one-more@example.com")
	checkSignUpLimited(t, r)
	if !strings.Contains(r.body, `"code":"TOO_MANY_REQUESTS"`) {
		t.Errorf("body %s", r.body)
	}
	c := e.client(uaFirefoxWin)
	form := url.Values{"name": {"Form Person"}, "email": {"form@example.com"}, "password": {testPassword}, "_csrf": {c.csrf()}}
	page := c.do("POST", "/signup", form.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "203.0.113.5"})
	checkSignUpLimited(t, page)
	if !strings.Contains(page.body, `id="form-error">Too many attempts.`) {
		t.Errorf("form page: %s", page.body)
	}
	if r := e.client(uaChromeMac).signUpFrom("203.0.113.6", "elsewhere@example.com"); r.status != 200 {
		t.Errorf("another address: %d %s", r.status, r.body)
	}
}

// Password hashing runs in a bounded number of slots shared by sign-up, sign-in and
// password change. With the one slot held, the others wait HashWait and then get 503
// with Retry-After (JSON and page), never a 500; once it is free they work again.
func TestPasswordHashingIsBoundedAcrossRoutes(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) {
		c.HashConcurrency, c.HashWait = 1, 20*time.Millisecond
	}})
	owner := e.client(uaChromeMac)
	owner.signUp("owner@example.com")
	release := holdHashSlot(e, "owner@example.com")
	busy := func(what string, r response) {
		t.Helper()
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 503 || err != nil || secs < 1 {
			t.Errorf("%s: want 503 with Retry-After, got %d %q %s", what, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	busy("sign-in", e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"owner@example.com","password":"`+testPassword+`"}`))
	busy("sign-up", e.client(uaFirefoxWin).json("POST", "/api/auth/sign-up/email", `{"name":"N","email":"new@example.com","password":"`+testPassword+`"}`))
	busy("password change", owner.json("POST", "/api/auth/change-password", `{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`"}`))
	page := e.client(uaSafariPhone).form("/login", url.Values{"email": {"owner@example.com"}, "password": {testPassword}})
	busy("sign-in form", page)
	if !strings.Contains(page.body, "The server is busy right now.") {
		t.Errorf("page lacks the words: %s", page.body)
	}
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("a busy answer was logged as an error:\n%s", e.logs.String())
	}
	release()
	if r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-up/email", `{"name":"N","email":"new@example.com","password":"`+testPassword+`"}`); r.status != 200 {
		t.Errorf("after the slot is free: %d %s", r.status, r.body)
	}
}

// A sign-in refused for want of a hashing slot checked no password: it must not count
// toward the account's or the address's limit, or a flood would lock people out with
// their own right password. Over the limit of 503s, the right password still signs in.
func TestBusySignInsDoNotCountTowardTheLimit(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) {
		c.HashConcurrency, c.HashWait, c.SignInLimit = 1, 20*time.Millisecond, 3
	}})
	e.client(uaChromeMac).signUp("owner@example.com")
	release := holdHashSlot(e, "ghost@example.com")
	// Both sides at once: the account's own sign-ins and ones for an unknown address.
	// Each counts its attempt before it waits, so some may see the others' and get 429;
	// at least one must wait for the slot and get 503.
	start := make(chan struct{})
	var busy sync.WaitGroup
	var busies atomic.Int32
	for i := range 6 {
		email := "owner@example.com"
		if i%2 == 1 {
			email = "nobody@example.com"
		}
		busy.Go(func() {
			<-start
			switch r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+testPassword+`"}`); r.status {
			case 503:
				busies.Add(1)
			case 429:
			default:
				t.Errorf("while the slot is held: %d %s, want 503 or 429", r.status, r.body)
			}
		})
	}
	close(start)
	busy.Wait()
	if busies.Load() == 0 {
		t.Fatal("no sign-in waited for the slot")
	}
	release()
	if r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"owner@example.com","password":"`+testPassword+`"}`); r.status != 200 {
		t.Errorf("after the busy sign-ins, the right password: %d %s, want 200", r.status, r.body)
	}
}

// holdHashSlot signs in to email with a password whose check waits: it holds the env's one
// hashing slot until release is called (which waits for that sign-in to end).
func holdHashSlot(e *env, email string) (release func()) {
	entered, hold := make(chan struct{}), make(chan struct{})
	e.auth.SetPasswordCheck(func(password, encoded string) (bool, error) {
		if password == "hold the slot!" {
			close(entered)
			<-hold
		}
		return auth.CheckPassword(password, encoded)
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"`+email+`","password":"hold the slot!"}`)
	})
	<-entered
	return func() { close(hold); wg.Wait() }
}

// A password check that outlasts the request's deadline (on a starved CPU a 40 ms
// argon2id run took seconds) does not hold the answer: the sign-in answers 503 busy at
// its deadline while the check still runs, and the check keeps its slot until it ends,
// so no more hashes run at once than there are slots.
func TestSlowPasswordCheckAnswersByTheDeadline(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) {
		c.HashConcurrency, c.HashWait = 1, 20*time.Millisecond
	}})
	e.client(uaChromeMac).signUp("owner@example.com")
	hold := make(chan struct{})
	var checkEnded atomic.Bool
	e.auth.SetPasswordCheck(func(password, encoded string) (bool, error) {
		if password == "a slow check!" {
			<-hold
			defer checkEnded.Store(true)
		}
		return auth.CheckPassword(password, encoded)
	})
	// Without the bound the sign-in would wait for the check: end it after a while, so
	// that the test fails instead of hanging.
	stop := time.AfterFunc(20*time.Second, func() { close(hold) })
	r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"owner@example.com","password":"a slow check!"}`)
	if checkEnded.Load() {
		t.Fatalf("the sign-in answered %d only after its password check ended", r.status)
	}
	if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, `"busy"`) {
		t.Errorf("sign-in past its deadline: %d %q %s, want 503 busy with Retry-After", r.status, r.header.Get("Retry-After"), r.body)
	}
	signIn := func() response {
		return e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"owner@example.com","password":"`+testPassword+`"}`)
	}
	if r := signIn(); r.status != 503 {
		t.Errorf("while the slow check still runs: %d %s, want 503 (its slot is still taken)", r.status, r.body)
	}
	if stop.Stop() {
		close(hold)
	}
	for try := 0; ; try++ { // the slot goes back when the check returns, on its own goroutine
		r := signIn()
		if r.status == 200 {
			break
		}
		if try == 100 {
			t.Fatalf("after the slow check ended: %d %s, want 200", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
