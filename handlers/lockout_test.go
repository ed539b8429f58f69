package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// changePasswordFrom is the JSON password change, as if from ip.
func (c *client) changePasswordFrom(ip, current, next string) response {
	return c.do("POST", "/api/auth/change-password",
		`{"currentPassword":"`+current+`","newPassword":"`+next+`","revokeOtherSessions":false}`,
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": ip})
}

// Strangers failing ten times on the owner's email, from ten addresses, do not lock the
// owner's own browser out (OWASP "device cookies"): it has signed in to the account
// before. Everyone else, the strangers too, still meets the per-account limit.
func TestStrangersDoNotLockTheOwnersBrowserOut(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	owner := e.client(uaChromeMac)
	owner.signUp("owner@example.com") // this browser is now known to the account
	stranger := e.client(uaFirefoxWin)
	for i := range 10 {
		if r := stranger.signInFrom(fmt.Sprintf("203.0.113.%d", i), "owner@example.com", "wrong password!"); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	checkRateLimited(t, stranger.signInFrom("198.51.100.7", "owner@example.com", testPassword))
	checkRateLimited(t, e.client(uaSafariPhone).signInFrom("198.51.100.8", "owner@example.com", testPassword))
	if r := owner.signInFrom("198.51.100.9", "owner@example.com", testPassword); r.status != 200 {
		t.Fatalf("the owner's browser is locked out by strangers: %d %s", r.status, r.body)
	}
	// The owner's browser has a limit of its own, and the strangers' addresses theirs.
	for i := range 10 {
		if r := owner.signInFrom(fmt.Sprintf("198.51.100.%d", 20+i), "owner@example.com", "wrong password!"); r.status != 401 {
			t.Fatalf("owner's typo %d: %d", i, r.status)
		}
	}
	checkRateLimited(t, owner.signInFrom("198.51.100.40", "owner@example.com", testPassword))
	for i := range 10 {
		stranger.signInFrom("203.0.113.50", fmt.Sprintf("other%d@example.com", i), "wrong password!")
	}
	checkRateLimited(t, owner.signInFrom("203.0.113.50", "owner@example.com", testPassword))
}

// A browser that merely carries a device cookie, without ever having signed in to the
// account, is a stranger: its failures lock the account like anyone's.
func TestAnUnknownDeviceCookieCountsAgainstTheAccount(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	e.client(uaChromeMac).signUp("owner@example.com")
	stranger := e.client(uaFirefoxWin)
	stranger.csrf() // gets a device cookie
	for i := range 10 {
		stranger.signInFrom(fmt.Sprintf("203.0.113.%d", i), "owner@example.com", "wrong password!")
	}
	checkRateLimited(t, stranger.signInFrom("198.51.100.7", "owner@example.com", testPassword))
}

// A signed-in person's current-password check has its own limit per session: strangers
// who locked the account's sign-in do not block the password change, and a session that
// guesses wrong ten times is stopped without touching the owner's other sessions.
func TestPasswordChangeHasItsOwnLimitPerSession(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	owner := e.client(uaChromeMac)
	owner.signUp("owner@example.com")
	other := e.client(uaSafariPhone)
	other.signIn("owner@example.com")
	stranger := e.client(uaFirefoxWin)
	for i := range 10 {
		stranger.signInFrom(fmt.Sprintf("203.0.113.%d", i), "owner@example.com", "wrong password!")
	}
	checkRateLimited(t, stranger.signInFrom("203.0.113.99", "owner@example.com", testPassword))
	if r := owner.changePasswordFrom("198.51.100.1", testPassword, newPassword); r.status != 200 {
		t.Fatalf("strangers locked the owner out of the password change: %d %s", r.status, r.body)
	}
	for i := range 10 {
		if r := other.changePasswordFrom("198.51.100.2", "wrong password!", testPassword); r.status != 400 {
			t.Fatalf("wrong current password %d: %d %s", i, r.status, r.body)
		}
	}
	checkRateLimited(t, other.changePasswordFrom("198.51.100.2", newPassword, testPassword))
	// The form says it in plain words, and the owner's session is not held by it.
	form := url.Values{"current_password": {newPassword}, "new_password": {testPassword}, "confirm_password": {testPassword}, "_csrf": {other.csrf()}}
	page := other.do("POST", "/app/settings/security/password", form.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "198.51.100.2"})
	checkRateLimited(t, page)
	if !strings.Contains(page.body, "Too many attempts.") {
		t.Errorf("form page lacks the words: %s", page.body)
	}
	if r := owner.changePasswordFrom("198.51.100.1", newPassword, testPassword); r.status != 200 {
		t.Fatalf("another session of the owner is held by this one's limit: %d %s", r.status, r.body)
	}
}
