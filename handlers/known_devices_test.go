package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// intruderBrowsers signs in to email from k browsers with the password, as an intruder
// who once had it would, and returns them with their device cookies kept.
func intruderBrowsers(e *env, email string, k int) []*client {
	out := make([]*client, k)
	for i := range out {
		out[i] = e.client(uaFirefoxWin)
		if r := out[i].signInFrom(fmt.Sprintf("2001:db8:bad:%x::1", i+1), email, testPassword); r.status != 200 {
			e.t.Fatalf("intruder browser %d: %d %s", i, r.status, r.body)
		}
	}
	return out
}

// guessFromKeptCookies sends perBrowser wrong passwords from each browser, each guess from
// an address of its own (so only the account's and the browsers' limits can stop them),
// and returns how many were checked (401) rather than refused (429).
func guessFromKeptCookies(t *testing.T, browsers []*client, email string, perBrowser int, round int) int {
	t.Helper()
	checked := 0
	for i, b := range browsers {
		for j := range perBrowser {
			ip := fmt.Sprintf("2001:db8:%x:%x%02x::1", round+1, i+1, j)
			switch r := b.signInFrom(ip, email, "a wrong guess!"); r.status {
			case 401:
				checked++
			case 429:
			default:
				t.Fatalf("guess %d from browser %d: %d %s", j, i, r.status, r.body)
			}
		}
	}
	return checked
}

// Issue #26 finding 1: an intruder who once had the password signs in from K browsers and
// keeps their device cookies. After the owner changes the password, each kept cookie got
// its own 10 guesses per 10 minutes beside the account's lockout (40 checked with K = 4).
// Now a known browser's exemption never outlives the password it was earned with, whether
// or not the change signs the others out; the owner's own browser keeps its place. Through
// the proxy path and on the [::1] listener.
func TestKeptDeviceCookiesLoseTheirAllowanceAtAPasswordChange(t *testing.T) {
	for _, p := range ipv6Paths {
		for _, revokeOthers := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/revokeOtherSessions=%v", p.name, revokeOthers), func(t *testing.T) {
				e := p.build(t)
				owner := e.client(uaChromeMac)
				owner.signUp("owner@example.com")
				intruder := intruderBrowsers(e, "owner@example.com", 4)
				r := owner.do("POST", "/api/auth/change-password",
					fmt.Sprintf(`{"currentPassword":%q,"newPassword":%q,"revokeOtherSessions":%v}`, testPassword, newPassword, revokeOthers),
					map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.1"})
				if r.status != 200 {
					t.Fatalf("change password: %d %s", r.status, r.body)
				}
				limit := auth.DefaultConfig().SignInLimit
				if n := guessFromKeptCookies(t, intruder, "owner@example.com", limit, 0); n > limit {
					t.Errorf("%d guesses checked from 4 kept device cookies, want at most the account's %d", n, limit)
				}
				// Strangers (the intruder) locked the account; the owner's browser is not locked out.
				if r := owner.signInFrom("198.51.100.2", "owner@example.com", newPassword); r.status != 200 {
					t.Errorf("the owner's own browser after the change: %d %s", r.status, r.body)
				}
			})
		}
	}
}

// "Not you?" forgot only the browser it was pressed about: the intruder's other kept
// cookies still signed in as known browsers (no notice, no mail) and kept their allowance.
// Now every known browser but the owner's current one is forgotten.
func TestNotYouForgetsEveryOtherKnownBrowser(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	owner := e.client(uaChromeMac)
	owner.signUp("owner@example.com")
	intruder := intruderBrowsers(e, "owner@example.com", 4)
	if r := owner.form("/app/settings/security/sessions/"+intruder[0].currentID()+"/secure", url.Values{}); r.status != 303 {
		t.Fatalf("Not you?: %d %s", r.status, r.body)
	}
	limit := auth.DefaultConfig().SignInLimit
	if n := guessFromKeptCookies(t, intruder[1:], "owner@example.com", limit, 0); n > limit {
		t.Errorf("%d guesses checked from 3 kept device cookies after 'Not you?', want at most %d", n, limit)
	}
	// The owner's browser is still its own: it is not locked out by those guesses.
	if r := owner.signInFrom("198.51.100.2", "owner@example.com", testPassword); r.status != 200 {
		t.Fatalf("the owner's browser: %d %s", r.status, r.body)
	}
	// After the lock, a kept cookie signing in again is a new browser: the owner is told.
	e.auth.SetClock(func() time.Time { return time.Now().Add(auth.DefaultConfig().SignInWindow + time.Second) })
	back := intruder[2]
	if r := back.signInFrom("2001:db8:bad:99::1", "owner@example.com", testPassword); r.status != 200 {
		t.Fatalf("sign-in again: %d %s", r.status, r.body)
	}
	if page := owner.get("/app/settings/security").body; !strings.Contains(page, `<tr id="session-`+back.currentID()+`" class="flagged">`) {
		t.Error("a browser 'Not you?' should have forgotten signed in without a new-sign-in notice")
	}
}

// An account remembers at most 20 browsers: the least recently seen is forgotten first,
// and its next sign-in is new again.
func TestKnownBrowsersAreCapped(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	owner := e.client(uaChromeMac)
	owner.signUp("owner@example.com")
	first := e.client(uaSafariPhone)
	first.signInFrom("198.51.100.1", "owner@example.com", testPassword)
	for i := range 20 {
		e.client(uaFirefoxWin).signInFrom(fmt.Sprintf("198.51.100.%d", i+2), "owner@example.com", testPassword)
	}
	var known int
	if err := e.store.DB().GetContext(t.Context(), &known, `SELECT count(*) FROM known_devices`); err != nil {
		t.Fatal(err)
	}
	if known != 20 {
		t.Errorf("%d known browsers, want the cap of 20", known)
	}
	first.signInFrom("198.51.100.99", "owner@example.com", testPassword)
	if page := owner.get("/app/settings/security").body; !strings.Contains(page, `<tr id="session-`+first.currentID()+`" class="flagged">`) {
		t.Error("the least recently seen browser was not forgotten: no new-sign-in notice")
	}
}

// The race behind finding 1: the intruder's kept browsers sign in with the old password
// and guess, at the same moment as the owner changes it and signs the others out. Started
// at a barrier, repeated. Whatever the order, afterwards no intruder session lives, and the
// kept cookies together get no more guesses checked than the account's limit.
func TestPasswordChangeRacingKeptDeviceCookies(t *testing.T) {
	limit := auth.DefaultConfig().SignInLimit
	for round := range 5 {
		e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
		owner := e.client(uaChromeMac)
		owner.signUp("owner@example.com")
		intruder := intruderBrowsers(e, "owner@example.com", 4)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var changed atomic.Bool
		wg.Go(func() {
			<-start
			r := owner.do("POST", "/api/auth/change-password",
				`{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`","revokeOtherSessions":true}`,
				map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.1"})
			changed.Store(r.status == 200)
		})
		for i, b := range intruder {
			wg.Go(func() {
				<-start
				b.signInFrom(fmt.Sprintf("2001:db8:%x:e%x::1", round+1, i), "owner@example.com", testPassword)
				b.signInFrom(fmt.Sprintf("2001:db8:%x:f%x::1", round+1, i), "owner@example.com", "a wrong guess!")
			})
		}
		close(start)
		wg.Wait()
		if !changed.Load() {
			t.Fatalf("round %d: the password change failed", round)
		}
		for i, b := range intruder {
			if r := b.get("/api/users/me/current-session"); r.status == 200 {
				t.Fatalf("round %d: intruder browser %d is still signed in after the change", round, i)
			}
		}
		if n := guessFromKeptCookies(t, intruder, "owner@example.com", limit, round+10); n > limit {
			t.Fatalf("round %d: %d guesses checked from kept cookies, want at most %d", round, n, limit)
		}
	}
}
