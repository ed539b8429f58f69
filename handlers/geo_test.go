package handlers_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo/geotest"
)

// newGeoEnv is an app with the small test location data (geotest: 85.214.0.0/16 is
// Berlin, 41.58.0.0/16 Lagos) behind a trusted proxy: app.Test's peer, 0.0.0.0.
func newGeoEnv(t *testing.T) *env {
	t.Helper()
	places := geotest.Open(t)
	return newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}, auth: func(c *auth.Config) { c.Places = places }})
}

// from signs in as if from ip (X-Forwarded-For from the trusted proxy).
func (c *client) from(ip string) map[string]string {
	return map[string]string{"X-Forwarded-For": ip}
}

// mustOK fails the test unless r is a 200.
func mustOK(t *testing.T, r response) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("want 200, got %d %s", r.status, r.body)
	}
}

// The row shows where the session is, in the reader's language, the device icon, and the
// page carries the DB-IP attribution; the local session reads "Local network".
func TestSessionRowsShowPlaces(t *testing.T) {
	e := newGeoEnv(t)
	local := e.client(uaChromeMac)
	local.signUp("places@example.com") // no X-Forwarded-For: the peer, 0.0.0.0, is local
	berlin := e.client(uaSafariPhone)
	if r := berlin.signInFrom("85.214.132.117", "places@example.com", testPassword); r.status != 200 {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	unknown := e.client(uaTauriLinux)
	if r := unknown.signInFrom("8.8.8.8", "places@example.com", testPassword); r.status != 200 {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	page := local.get("/app/settings/security").body
	for _, want := range []string{
		`<small>Berlin, Germany · `, `<small>Local network · `,
		`<small>Unknown location · `, `<a href="https://db-ip.com">IP geolocation by DB-IP</a>`,
		`<th scope="row" class="mobile">`, `<th scope="row" class="desktop">`, `<th scope="row" class="app">`,
		"Places are approximate", `aria-label="Revoke Safari on iPhone in Berlin, Germany"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	de := local.do("GET", "/app/settings/security", "", map[string]string{"Accept-Language": "de"}).body
	for _, want := range []string{"Berlin, Deutschland", "Lokales Netzwerk", "IP-Geolokalisierung von DB-IP"} {
		if !strings.Contains(de, want) {
			t.Errorf("German page lacks %q", want)
		}
	}
	if strings.Contains(de, "Germany") {
		t.Error("English country name on the German page")
	}
	for _, icon := range []string{"desktop", "mobile", "tablet", "app", "unknown"} {
		if r := local.get("/static/device-" + icon + ".svg"); r.status != 200 || !strings.Contains(r.body, "<svg") {
			t.Errorf("icon %s: %d", icon, r.status)
		}
	}
}

// Without data there is no place, no "Unknown location" and no attribution.
func TestNoPlacesWithoutData(t *testing.T) {
	e := newEnvWith(t, envOptions{proxies: []string{"0.0.0.0"}})
	c := e.client(uaChromeMac)
	c.signUp("noplaces@example.com")
	page := c.get("/app/settings/security").body
	for _, absent := range []string{"db-ip.com", `class="place"`, "Local network", "Unknown location"} {
		if strings.Contains(page, absent) {
			t.Errorf("page without data shows %s", absent)
		}
	}
	var s struct{ Location *json.RawMessage }
	if err := json.Unmarshal([]byte(c.get("/api/users/me/current-session").body), &s); err != nil || s.Location != nil {
		t.Errorf("location %v (%v), want null", s.Location, err)
	}
}

// A session seen from a new address gets that address's place in the last-seen write;
// Details still says where it signed in. Between two last-seen writes a new address is
// not looked up (no lookup per request): the row keeps the place it had.
func TestSessionSeenFromNewAddressMovesItsPlace(t *testing.T) {
	e := newGeoEnv(t)
	c := e.client(uaChromeMac)
	mustOK(t, c.signUpFrom("85.214.132.117", "mover@example.com"))
	type session struct {
		LastIP   string `json:"last_ip"`
		Location struct {
			City, Region, Country string
			CountryCode           string `json:"country_code"`
		} `json:"location"`
	}
	current := func() (session, string) {
		t.Helper()
		var s session
		r := c.do("GET", "/api/users/me/current-session", "", c.from("41.58.1.2"))
		if err := json.Unmarshal([]byte(r.body), &s); err != nil {
			t.Fatal(err)
		}
		return s, r.body
	}
	if s, body := current(); s.LastIP != "85.214.132.117" || s.Location.City != "Berlin" {
		t.Fatalf("within the last-seen interval the new address was recorded: %s", body)
	}
	e.auth.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	s, body := current()
	if s.LastIP != "41.58.1.2" || s.Location.City != "Lagos" || s.Location.Country != "Nigeria" ||
		s.Location.CountryCode != "NG" || s.Location.Region != "Lagos" {
		t.Fatalf("after a request from Lagos: %s", body)
	}
	page := c.do("GET", "/app/settings/security", "", c.from("41.58.1.2")).body
	if !strings.Contains(page, `<small>Lagos, Nigeria · `) {
		t.Error("row does not show Lagos")
	}
	// The revoke question keeps where it signed in (here asked from a second session).
	other := e.client(uaFirefoxWin)
	mustOK(t, other.signInFrom("85.214.132.117", "mover@example.com", testPassword))
	q := other.do("GET", "/app/settings/security/sessions/"+c.currentID()+"/revoke", "", other.from("85.214.132.117")).body
	if !strings.Contains(q, "Signed in from Berlin, Germany (85.214.132.117)") || !strings.Contains(q, "<dd>Lagos, Nigeria</dd>") {
		t.Errorf("the revoke question does not show Lagos with Berlin as the sign-in place:\n%s", q)
	}
}

// A sign-in from a country the account never signed in from is called out in the notice
// and recorded in the security event; the next one from there is not "new" any more.
func TestFirstSignInFromACountry(t *testing.T) {
	e := newGeoEnv(t)
	home := e.client(uaChromeMac)
	mustOK(t, home.signUpFrom("85.214.132.117", "traveller@example.com"))
	for _, ua := range []string{uaFirefoxWin, uaSafariPhone} {
		if r := e.client(ua).signInFrom("41.58.1.2", "traveller@example.com", testPassword); r.status != 200 {
			t.Fatalf("sign in: %d %s", r.status, r.body)
		}
	}
	page := home.do("GET", "/app/settings/security", "", home.from("85.214.132.117")).body
	if n := strings.Count(page, `<strong class="risk">First sign-in from this country</strong>`); n != 1 {
		t.Errorf("%d rows say 'First sign-in from this country', want 1", n)
	}
	if n := strings.Count(page, `<small>Lagos, Nigeria · `); n != 2 {
		t.Errorf("%d rows from Lagos, want 2", n)
	}
	if !strings.Contains(page, "2 new sign-ins since your last visit") {
		t.Error("the summary does not count both sign-ins")
	}
	var out struct {
		Events []struct {
			Type     string
			Details  map[string]any
			Location *struct {
				City, Country string
				CountryCode   string `json:"country_code"`
			} `json:"location"`
		}
	}
	if err := json.Unmarshal([]byte(home.get("/api/users/me/security-events/").body), &out); err != nil {
		t.Fatal(err)
	}
	var flags []bool
	for _, ev := range out.Events {
		if ev.Type != db.EventSignIn {
			continue
		}
		flags = append(flags, ev.Details["new_country"] == true)
		if ev.Location == nil || ev.Location.City != "Lagos" || ev.Location.Country != "Nigeria" || ev.Location.CountryCode != "NG" {
			t.Errorf("sign-in event location %+v", ev.Location)
		}
	}
	if len(flags) != 2 || flags[0] || !flags[1] { // newest first
		t.Errorf("new_country of the two sign-ins (newest first) = %v, want [false true]", flags)
	}
}

// Sign-ins from a new country at the same moment: exactly one is the first from there.
func TestFirstSignInFromACountryUnderConcurrency(t *testing.T) {
	e := newGeoEnv(t)
	mustOK(t, e.client(uaChromeMac).signUpFrom("85.214.132.117", "race@example.com"))
	const rounds, parallel = 5, 4
	ctx := context.Background()
	for round := range rounds {
		country := []string{"41.58.1.2", "1.1.1.1", "5.5.5.5", "2a01:238::1", "2c0f:f000::1"}[round]
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, _ = e.auth.SignIn(ctx, "race@example.com", testPassword, auth.Client{UserAgent: uaFirefoxWin, IP: country})
			}()
		}
		close(start)
		wg.Wait()
	}
	u, err := e.store.UserByEmail(ctx, "race@example.com")
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.store.AuditEvents(ctx, u.ID, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	firsts := map[string]int{}
	signIns := 0
	for _, ev := range events {
		if ev.Type == db.EventSignIn {
			signIns++
			if ev.Details["new_country"] == true {
				firsts[ev.Details.String("country_code")]++
			}
		}
	}
	// Rounds 4 and 5 are Germany (already known) and Nigeria (known since round 1).
	want := map[string]int{"NG": 1, "AU": 1, "FR": 1}
	if signIns != rounds*parallel || len(firsts) != len(want) {
		t.Fatalf("%d sign-ins, firsts %v, want %v", signIns, firsts, want)
	}
	for cc, n := range want {
		if firsts[cc] != n {
			t.Errorf("country %s: %d sign-ins marked first, want %d", cc, firsts[cc], n)
		}
	}
}

// The JSON session objects, ours and better-auth's, carry the location.
func TestJSONSessionsCarryLocation(t *testing.T) {
	e := newGeoEnv(t)
	c := e.client(uaChromeMac)
	mustOK(t, c.signUpFrom("85.214.132.117", "json@example.com"))
	for _, path := range []string{"/api/auth/sessions/", "/api/auth/list-sessions"} {
		body := c.do("GET", path, "", c.from("85.214.132.117")).body
		if !strings.Contains(body, `"location":{"city":"Berlin","region":"Berlin","country":"Germany","country_code":"DE"}`) {
			t.Errorf("%s: no location in %s", path, body)
		}
	}
}

// A malformed X-Forwarded-For from a trusted proxy falls back to the peer: no place is
// taken from it, and the session is on the proxy's (local) network.
func TestMalformedForwardedForFallsBackToThePeer(t *testing.T) {
	e := newGeoEnv(t)
	for i, xff := range []string{"85.214.132.117, garbage", "not-an-ip", "85.214.132.117 41.58.1.2", ""} {
		c := e.client(uaChromeMac)
		email := []string{"a", "b", "c", "d"}[i] + "@example.com"
		r := c.do("POST", "/api/auth/sign-up/email", `{"name":"P","email":"`+email+`","password":"`+testPassword+`"}`,
			map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff})
		if r.status != 200 {
			t.Fatalf("%q: sign up %d %s", xff, r.status, r.body)
		}
		s := c.sessions()
		if len(s) != 1 || s[0].IP != "0.0.0.0" {
			t.Errorf("X-Forwarded-For %q: sessions %+v, want the peer 0.0.0.0", xff, s)
		}
		if page := c.get("/app/settings/security").body; !strings.Contains(page, `<small>Local network · `) {
			t.Errorf("X-Forwarded-For %q: the row is not on the local network", xff)
		}
	}
}
