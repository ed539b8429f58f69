package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/docodego/sessions/auth"
)

// ipv6Paths are the two ways an IPv6 client reaches the app in these tests: through a
// trusted proxy that names it in X-Forwarded-For (app.Test, whose peer 0.0.0.0 is the
// proxy), and over a real socket on the IPv6 loopback whose peer ::1 is the proxy.
var ipv6Paths = []struct {
	name  string
	build func(t *testing.T) *env
}{
	{"proxy", func(t *testing.T) *env { return newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}}) }},
	{"[::1] listener", func(t *testing.T) *env {
		e := newEnvWith(t, envOptions{proxies: []string{"::1"}})
		e.serveIPv6()
		return e
	}},
}

// Issue #26 finding 2: fifteen sign-ups from fifteen addresses of one /64 all passed where
// the limit is 10. Every address of a /64 is one host to the limit; the next /64 is not.
func TestSignUpLimitCountsAnIPv6Slash64AsOneAddress(t *testing.T) {
	for _, p := range ipv6Paths {
		t.Run(p.name, func(t *testing.T) {
			e := p.build(t)
			limit := auth.DefaultConfig().SignUpLimit
			for i := range limit {
				if r := e.client(uaChromeMac).signUpFrom(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("p%d@example.com", i)); r.status != 200 {
					t.Fatalf("sign-up %d: %d %s", i, r.status, r.body)
				}
			}
			for i := range 5 { // the attack went on to fifteen
				checkSignUpLimited(t, e.client(uaChromeMac).signUpFrom(fmt.Sprintf("2001:db8:1:2:%x::9", i+1), fmt.Sprintf("more%d@example.com", i)))
			}
			if r := e.client(uaChromeMac).signUpFrom("2001:db8:1:3::1", "next-net@example.com"); r.status != 200 {
				t.Errorf("another /64: %d %s", r.status, r.body)
			}
		})
	}
}

// Issue #26 finding 2, sign-in: fifteen wrong sign-ins from one /64 all passed. Unknown
// accounts each time, so only the per-address limit can stop them.
func TestSignInLimitCountsAnIPv6Slash64AsOneAddress(t *testing.T) {
	for _, p := range ipv6Paths {
		t.Run(p.name, func(t *testing.T) {
			e := p.build(t)
			e.client(uaChromeMac).signUp("real@example.com")
			c := e.client(uaFirefoxWin)
			for i := range auth.DefaultConfig().SignInLimit {
				if r := c.signInFrom(fmt.Sprintf("2001:db8:7:7::%x", i+1), fmt.Sprintf("nobody%d@example.com", i), "wrong password!"); r.status != 401 {
					t.Fatalf("attempt %d: %d %s", i, r.status, r.body)
				}
			}
			for i := range 5 {
				checkRateLimited(t, c.signInFrom(fmt.Sprintf("2001:db8:7:7:%x::1", i+1), fmt.Sprintf("more%d@example.com", i), "wrong password!"))
			}
			// The right password from the same /64 waits too; from the next /64 it signs in.
			checkRateLimited(t, c.signInFrom("2001:db8:7:7::abcd", "real@example.com", testPassword))
			if r := c.signInFrom("2001:db8:7:8::1", "real@example.com", testPassword); r.status != 200 {
				t.Errorf("another /64: %d %s", r.status, r.body)
			}
		})
	}
}

// An IPv4-mapped IPv6 address is the IPv4 address it carries, to the limits as elsewhere.
func TestIPv4MappedAddressCountsAsIPv4(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	for i := range auth.DefaultConfig().SignUpLimit {
		ip := "203.0.113.5"
		if i%2 == 1 {
			ip = "::ffff:203.0.113.5"
		}
		if r := e.client(uaChromeMac).signUpFrom(ip, fmt.Sprintf("p%d@example.com", i)); r.status != 200 {
			t.Fatalf("sign-up %d: %d %s", i, r.status, r.body)
		}
	}
	checkSignUpLimited(t, e.client(uaChromeMac).signUpFrom("::ffff:203.0.113.5", "one-more@example.com"))
	checkSignUpLimited(t, e.client(uaChromeMac).signUpFrom("203.0.113.5", "two-more@example.com"))
}

// Without a proxy, a client on the IPv6 loopback is ::1 and its /64 is what is limited.
func TestDirectIPv6ClientIsLimited(t *testing.T) {
	e := newEnv(t)
	e.serveIPv6()
	for i := range auth.DefaultConfig().SignUpLimit {
		c := e.client(uaChromeMac)
		c.signUp(fmt.Sprintf("p%d@example.com", i))
		if r := c.get("/api/users/me/current-session"); r.status != 200 || !strings.Contains(r.body, `"ip":"::1"`) {
			t.Fatalf("sign-up %d: %d %s", i, r.status, r.body)
		}
	}
	// The X-Forwarded-For of an untrusted peer is not believed.
	checkSignUpLimited(t, e.client(uaChromeMac).signUpFrom("2001:db8::1", "one-more@example.com"))
}

// Issue #26 finding 3: a trusted proxy that adds its own X-Forwarded-For line (HAProxy's
// option forwardfor) sends two lines; only the first, written by the attacker, was read,
// so the session's address was the attacker's word and the limits rotated with it. The
// lines are one list in order (RFC 9110 5.3): the right-most untrusted hop is the client.
func TestForwardedForLinesAreJoinedInOrder(t *testing.T) {
	for _, p := range ipv6Paths {
		t.Run(p.name, func(t *testing.T) {
			e := p.build(t)
			e.client(uaChromeMac).signUp("real@example.com")
			const client = "2001:db8:42:1::7"
			twoLines := func(attacker string) http.Header {
				return http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {attacker, client}}
			}
			c := e.client(uaFirefoxWin)
			if r := c.doHeader("POST", "/api/auth/sign-in/email", `{"email":"real@example.com","password":"`+testPassword+`"}`, twoLines("198.51.100.7")); r.status != 200 {
				t.Fatalf("sign in: %d %s", r.status, r.body)
			}
			if r := c.get("/api/users/me/current-session"); !strings.Contains(r.body, `"ip":"`+client+`"`) {
				t.Errorf("the session's address is not the proxy's hop %s: %s", client, r.body)
			}
			for i := range auth.DefaultConfig().SignInLimit {
				body := fmt.Sprintf(`{"email":"nobody%d@example.com","password":"wrong password!"}`, i)
				if r := e.client(uaFirefoxWin).doHeader("POST", "/api/auth/sign-in/email", body, twoLines(fmt.Sprintf("198.51.100.%d", i+10))); r.status != 401 {
					t.Fatalf("attempt %d: %d %s", i, r.status, r.body)
				}
			}
			r := e.client(uaFirefoxWin).doHeader("POST", "/api/auth/sign-in/email", `{"email":"x@example.com","password":"wrong password!"}`, twoLines("198.51.100.99"))
			checkRateLimited(t, r)
		})
	}
}
