package handlers_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// secretForms are the ways a token could leak: itself, and its hash in hex or base64.
func secretForms(token string) []string {
	sum := sha256.Sum256([]byte(token))
	return []string{token, hex.EncodeToString(sum[:]), strings.ToUpper(hex.EncodeToString(sum[:])),
		base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:]),
		base64.RawStdEncoding.EncodeToString(sum[:])}
}

// The token and its hash never appear in a URL, a log line, a page, a fragment or a
// JSON body: through sign-up, sign-in, revoke, sign-out and errors (ASVS 3.1.1, 3.2.3).
func TestTokenNeverLeaks(t *testing.T) {
	e := newEnv(t)
	var seen []response
	keep := func(r response) response { seen = append(seen, r); return r }
	mac, win := e.client(uaChromeMac), e.client(uaFirefoxWin)
	keep(mac.json("POST", "/api/auth/sign-up/email", `{"name":"Tok","email":"tok@example.com","password":"`+testPassword+`"}`))
	keep(win.form("/login", url.Values{"email": {"tok@example.com"}, "password": {testPassword}}))
	tokens := []string{mac.cookies["session"], win.cookies["session"]}
	winCookie := win.cookies["session"]
	winID := win.currentID()
	keep(mac.get("/app/settings/security"))
	keep(mac.get("/api/auth/sessions"))
	keep(mac.get("/api/users/me/current-session"))
	keep(mac.get("/app/settings/security/sessions/" + winID + "/revoke"))
	keep(mac.htmx("DELETE", "/app/settings/security/sessions/"+winID))
	// Errors, each logged: the revoked cookie, a 404, a bad CSRF token, bad JSON,
	// a cross-site request, a wrong password.
	win.cookies["session"] = winCookie
	keep(win.get("/app/settings/security"))
	win.cookies["session"] = winCookie
	keep(win.get("/api/auth/sessions"))
	keep(mac.get("/no/such/page?x=1"))
	keep(mac.do("POST", "/app/settings/security/sessions/revoke-others", "_csrf=bad", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
	keep(mac.json("POST", "/api/auth/change-password", `{"currentPassword":`))
	keep(mac.do("DELETE", "/api/auth/sessions", "", map[string]string{"Sec-Fetch-Site": "cross-site"}))
	keep(e.client(uaChromeMac).form("/login", url.Values{"email": {"tok@example.com"}, "password": {"not the password"}}))
	keep(mac.form("/logout", url.Values{}))

	logs := e.logs.String()
	if !strings.Contains(logs, "request failed") {
		t.Fatal("no errors were logged: the test did not exercise the error paths")
	}
	for _, tok := range tokens {
		if len(tok) != 43 {
			t.Fatalf("token %q", tok)
		}
		for _, secret := range secretForms(tok) {
			if strings.Contains(logs, secret) {
				t.Errorf("secret %q in the logs", secret)
			}
			for _, r := range seen {
				h := r.header.Clone()
				h.Del("Set-Cookie") // the one place the token belongs
				dump := r.body
				for k, v := range h {
					dump += k + ": " + strings.Join(v, ",") + "\n"
				}
				if strings.Contains(dump, secret) {
					t.Errorf("secret %q in an answer (status %d)", secret, r.status)
				}
			}
		}
	}
}

// Signing in never keeps a session id the browser brought (ASVS 3.2.1): a planted
// random token stays unknown, and an attacker's own planted session stays theirs.
func TestSignInIgnoresPlantedSession(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("victim@example.com")
	attacker := e.client(uaFirefoxWin)
	attacker.signUp("attacker@example.com")
	attackerToken, attackerID := attacker.cookies["session"], attacker.currentID()
	planted := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

	for _, plant := range []string{planted, attackerToken} {
		for _, via := range []string{"form", "json"} {
			victim := e.client(uaSafariPhone)
			victim.cookies["session"] = plant
			var r response
			if via == "form" {
				r = victim.form("/login", url.Values{"email": {"victim@example.com"}, "password": {testPassword}})
			} else {
				r = victim.json("POST", "/api/auth/sign-in/email", `{"email":"victim@example.com","password":"`+testPassword+`"}`)
			}
			if r.status != 303 && r.status != 200 {
				t.Fatalf("%s sign-in: %d %s", via, r.status, r.body)
			}
			if got := victim.cookies["session"]; got == plant || len(got) != 43 {
				t.Fatalf("%s sign-in kept the planted cookie", via)
			}
			if id := victim.currentID(); id == attackerID {
				t.Fatalf("%s: the victim signed in to the attacker's session", via)
			}
		}
	}
	probe := e.client(uaChromeMac)
	probe.cookies["session"] = planted
	if r := probe.get("/api/auth/sessions"); r.status != 401 {
		t.Errorf("planted token became usable: %d", r.status)
	}
	// The attacker's session is unchanged: still theirs, and only theirs.
	attacker.cookies["session"] = attackerToken
	list := attacker.sessions()
	if len(list) != 1 || list[0].ID != attackerID {
		t.Errorf("attacker's sessions changed: %+v", list)
	}
}

// A session past its absolute lifetime ends even though it was used all along: 401
// session_expired, status "expired" (ASVS 3.3.1, 3.3.2). The idle case is TestSessionStatus.
func TestAbsoluteLifetimeEndsActiveSession(t *testing.T) {
	e := newEnv(t)
	c, other := e.client(uaChromeMac), e.client(uaFirefoxWin)
	c.signUp("life@example.com")
	id := c.currentID()
	start := time.Now()
	for _, day := range []int{6, 12, 18, 24, 29} { // used every few days: never idle for 7
		at := start.Add(time.Duration(day) * 24 * time.Hour)
		e.auth.SetClock(func() time.Time { return at })
		if r := c.get("/api/auth/sessions"); r.status != 200 {
			t.Fatalf("day %d: %d %s", day, r.status, r.body)
		}
	}
	late := start.Add(30*24*time.Hour + time.Minute)
	e.auth.SetClock(func() time.Time { return late })
	cookie := c.cookies["session"]
	if r := c.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, `"error":"session_expired"`) {
		t.Fatalf("after 30 days: %d %s", r.status, r.body)
	}
	c.cookies["session"] = cookie
	if r := c.get("/app/settings/security"); r.status != 303 || r.header.Get("Location") != "/login?ended=expired" {
		t.Errorf("page after expiry: %d %q", r.status, r.header.Get("Location"))
	}
	other.signIn("life@example.com")
	if r := other.get("/api/auth/sessions/" + id + "/status"); !strings.Contains(r.body, `"status":"expired"`) {
		t.Errorf("status: %s", r.body)
	}
}

// Each other session's revoke question (the row's details) says when it expires: the
// earlier of its idle and absolute ends, the same instant the JSON gives.
func TestEachRowShowsItsExpiry(t *testing.T) {
	_, mac, _, _ := threeDevices(t)
	list := mac.sessions()
	for _, s := range list {
		if s.Current {
			continue
		}
		q := mac.get("/app/settings/security/sessions/" + s.ID + "/revoke").body
		want := `<dt>Expires</dt><dd><time datetime="` + s.ExpiresAt.UTC().Format(time.RFC3339)
		if !strings.Contains(q, want) {
			t.Errorf("question about %s has no %q", s.ID, want)
		}
		if d := time.Until(s.ExpiresAt); d < 6*24*time.Hour || d > 7*24*time.Hour {
			t.Errorf("expires in %s, want about the 7-day idle timeout", d)
		}
	}
}

// X-Forwarded-For is believed only from a TRUSTED_PROXIES peer, read from the right;
// over a real socket, where the peer is 127.0.0.1 (ASVS 14.x / 3.x client IP, 7.1.x logs).
func TestClientIPFromTrustedProxiesOnly(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		xff     string
		want    string
	}{
		{"untrusted peer: header ignored", nil, "203.0.113.7", "127.0.0.1"},
		{"other proxy trusted: header ignored", []string{"10.0.0.1"}, "203.0.113.7", "127.0.0.1"},
		{"trusted peer", []string{"127.0.0.1"}, "203.0.113.7", "203.0.113.7"},
		{"trusted range", []string{"127.0.0.0/8"}, "203.0.113.7", "203.0.113.7"},
		{"client-sent entries on the left ignored", []string{"127.0.0.1"}, "198.51.100.66, 203.0.113.7", "203.0.113.7"},
		{"trusted hops skipped", []string{"127.0.0.1", "10.0.0.0/8"}, "203.0.113.7, 10.1.2.3", "203.0.113.7"},
		{"garbage: the peer", []string{"127.0.0.1"}, "not-an-ip", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, envOptions{proxies: tt.proxies})
			base := e.serve()
			r := httpRequest(t, "POST", base+"/api/auth/sign-up/email",
				`{"name":"P","email":"p@example.com","password":"`+testPassword+`"}`,
				map[string]string{"Content-Type": "application/json", "X-Forwarded-For": tt.xff})
			var cookie string
			for _, line := range r.header.Values("Set-Cookie") {
				if ck, err := http.ParseSetCookie(line); err == nil && ck.Name == "session" {
					cookie = ck.Value
				}
			}
			me := httpRequest(t, "GET", base+"/api/users/me/current-session", "", map[string]string{"Cookie": "session=" + cookie})
			var s apiSessionJSON
			if err := json.Unmarshal([]byte(me.body), &s); err != nil || s.IP != tt.want {
				t.Fatalf("ip %q, want %q (%d %s)", s.IP, tt.want, me.status, me.body)
			}
		})
	}
}

// A user agent longer than 512 bytes is stored cut to 512, whole characters only.
func TestLongUserAgentIsStoredTruncated(t *testing.T) {
	e := newEnv(t)
	c := e.client(strings.Repeat("é", 600)) // 1200 bytes
	c.signUp("long@example.com")
	list := c.sessions()
	if len(list) != 1 || len(list[0].UserAgent) != auth.MaxUserAgent || list[0].UserAgent != strings.Repeat("é", 256) {
		t.Fatalf("stored user agent of %d bytes", len(list[0].UserAgent))
	}
}
