package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/dbsc/dbsctest"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/internal/testserver"
)

const boundAttributes = "Path=/; Secure; HttpOnly; SameSite=Lax"

// clock is a settable time for the auth service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newHTTPSEnv is newEnv served as https with device-bound sessions on, on store (a fresh
// one if nil), through handlers.Build as main does: instances on one store share keys.
func newHTTPSEnv(t *testing.T, store *db.Store) *env {
	t.Helper()
	if store == nil {
		store = dbtest.NewStore(t)
	}
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	cfg.SignUpLimit = 1000 // many accounts from the test's one address
	logs := &testserver.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	h, err := handlers.Build(context.Background(), store, handlers.Settings{
		AppName: "DoCodeGo", BaseURL: "https://example.test", Auth: cfg, DBSC: true,
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: h.NewApp(handlers.AppOptions{}), store: store, auth: h.AuthService(), logs: logs}
}

var (
	registrationHeader = regexp.MustCompile(`^\(ES256 RS256\);path="/dbsc/register";challenge="([A-Za-z0-9_-]+)"$`)
	challengeHeader    = regexp.MustCompile(`^"([A-Za-z0-9_-]+)";id="([0-9a-f-]+)"$`)
)

// pageSignUp signs up through the form (a page sign-in) and returns its registration
// challenge; the client keeps its session cookie.
func (c *client) pageSignUp(email string) string {
	c.e.t.Helper()
	r := c.form("/signup", url.Values{"name": {"Dee"}, "email": {email}, "password": {testPassword}})
	if r.status != 303 {
		c.e.t.Fatalf("sign up: %d %s", r.status, r.body)
	}
	m := registrationHeader.FindStringSubmatch(r.header.Get("Secure-Session-Registration"))
	if m == nil {
		c.e.t.Fatalf("registration header %q", r.header.Get("Secure-Session-Registration"))
	}
	return m[1]
}

// register posts a proof to the registration endpoint as Chrome does: empty body,
// cookies, no Origin.
func (c *client) register(proof string) response {
	return c.do("POST", "/dbsc/register", "", map[string]string{"Secure-Session-Response": proof})
}

func (c *client) refresh(id, proof string) response {
	h := map[string]string{"Sec-Secure-Session-Id": id}
	if proof != "" {
		h["Secure-Session-Response"] = proof
	}
	return c.do("POST", "/dbsc/refresh", "", h)
}

// currentSession is the client's session as the JSON API shows it.
func (c *client) currentSession() (status int, s struct {
	ID          string `json:"id"`
	DeviceBound bool   `json:"device_bound"`
}) {
	c.e.t.Helper()
	r := c.get("/api/users/me/current-session")
	if r.status == 200 {
		if err := json.Unmarshal([]byte(r.body), &s); err != nil {
			c.e.t.Fatal(err)
		}
	}
	return r.status, s
}

// bind signs up through the form and registers key; it returns the session id.
func (c *client) bind(email string, key *dbsctest.Key) string {
	c.e.t.Helper()
	r := c.register(key.Registration(c.pageSignUp(email)))
	if r.status != 200 {
		c.e.t.Fatalf("register: %d %s\n%s", r.status, r.body, c.e.logs.String())
	}
	var cfg struct {
		ID string `json:"session_identifier"`
	}
	if err := json.Unmarshal([]byte(r.body), &cfg); err != nil {
		c.e.t.Fatal(err)
	}
	return cfg.ID
}

// challengeOf is the challenge a refresh answer gives session id: a 403 with
// Secure-Session-Challenge; "" for any other answer.
func challengeOf(r response, id string) string {
	m := challengeHeader.FindStringSubmatch(r.header.Get("Secure-Session-Challenge"))
	if r.status != 403 || m == nil || m[2] != strings.Trim(id, `"`) {
		return ""
	}
	return m[1]
}

// challenge asks for a refresh challenge as Chrome does (no proof) and returns it.
func (c *client) challenge(id string) string {
	c.e.t.Helper()
	r := c.refresh(id, "")
	ch := challengeOf(r, id)
	if ch == "" {
		c.e.t.Fatalf("refresh without proof: %d %q %s", r.status, r.header.Get("Secure-Session-Challenge"), r.body)
	}
	return ch
}

// refreshWith runs Chrome's refresh: a 403 with a challenge, then the signed retry.
func (c *client) refreshWith(id string, key *dbsctest.Key) response {
	c.e.t.Helper()
	return c.refresh(id, key.Refresh(c.challenge(id)))
}

func TestDBSCRegistrationAndRefresh(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  *dbsctest.Key
	}{{"ES256", dbsctest.NewKey()}, {"RS256", dbsctest.NewRSAKey()}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newHTTPSEnv(t, nil)
			c := e.client(uaChromeMac)
			challenge := c.pageSignUp("dee@example.com")
			if _, s := c.currentSession(); s.DeviceBound {
				t.Fatal("bound before registering")
			}
			// Chrome sends it without Origin; a cross-site mark must not stop it either.
			r := c.do("POST", "/dbsc/register", "", map[string]string{
				"Secure-Session-Response": tc.key.Registration(challenge), "Sec-Fetch-Site": "cross-site"})
			if r.status != 200 {
				t.Fatalf("register: %d %s\n%s", r.status, r.body, e.logs.String())
			}
			_, s := c.currentSession()
			want := `{"session_identifier":"` + s.ID + `","refresh_url":"/dbsc/refresh","scope":{"include_site":false,` +
				`"scope_specification":[]},"credentials":[{"type":"cookie","name":"__Host-bound","attributes":"` + boundAttributes + `"}]}`
			if r.body != want {
				t.Fatalf("config:\n%s\nwant\n%s", r.body, want)
			}
			setCookie := r.header.Get("Set-Cookie")
			if !strings.HasPrefix(setCookie, "__Host-bound=") || !strings.HasSuffix(setCookie, "; "+boundAttributes) {
				t.Fatalf("Set-Cookie %q does not end with the config's attributes", setCookie)
			}
			if !s.DeviceBound {
				t.Fatal("session not bound after registration")
			}
			if p := c.get("/app/settings/security"); p.status != 200 || !strings.Contains(p.body, `<span class="bound">Device-bound</span>`) {
				t.Fatalf("page %d does not show the binding", p.status)
			}
			for _, id := range []string{s.ID, `"` + s.ID + `"`} { // Chrome's unquoted, the spec's quoted
				r := c.refreshWith(id, tc.key)
				if r.status != 200 || r.body != want || !strings.HasPrefix(r.header.Get("Set-Cookie"), "__Host-bound=") {
					t.Fatalf("refresh %s: %d %s %q", id, r.status, r.body, r.header.Get("Set-Cookie"))
				}
			}
			if !strings.Contains(e.activityText(c), "Your session on Chrome on macOS was bound to the device") {
				t.Fatal("no session_bound event in the activity")
			}
		})
	}
}

// activityText is the security page's activity list as text.
func (e *env) activityText(c *client) string {
	return c.get("/app/settings/security").body
}

func TestDBSCRegistrationRefusals(t *testing.T) {
	e := newHTTPSEnv(t, nil)
	key := dbsctest.NewKey()
	other := e.client(uaFirefoxWin)
	foreign := other.pageSignUp("other@example.com") // issued to another session
	parts := func(s string) []string { return strings.Split(s, ".") }
	cases := []struct {
		name  string
		proof func(challenge string) string
	}{
		{"bad signature", func(ch string) string {
			p, q := parts(key.Registration(ch)), parts(dbsctest.NewKey().Registration(ch))
			return p[0] + "." + p[1] + "." + q[2]
		}},
		{"alg none", func(ch string) string {
			p := parts(key.Sign(`{"alg":"none","jwk":`+key.JWK()+`,"typ":"dbsc+jwt"}`, ch))
			return p[0] + "." + p[1] + "."
		}},
		{"alg HS256", func(ch string) string { return key.Sign(`{"alg":"HS256","jwk":`+key.JWK()+`,"typ":"dbsc+jwt"}`, ch) }},
		{"missing JWK", func(ch string) string { return key.Refresh(ch) }},
		{"foreign jti", func(string) string { return key.Registration(foreign) }},
		{"unknown jti", func(string) string { return key.Registration("never-issued") }},
		{"no proof", func(string) string { return "" }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(uaChromeMac)
			ch := c.pageSignUp("p" + string(rune('a'+i)) + "@example.com")
			if r := c.register(tc.proof(ch)); r.status != 400 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			if _, s := c.currentSession(); s.DeviceBound {
				t.Fatal("bound by a refused proof")
			}
			if p := c.get("/app/settings/security"); p.status != 200 {
				t.Fatalf("the session stays an ordinary one: %d", p.status)
			}
		})
	}
	if !strings.Contains(e.logs.String(), `level=WARN msg="dbsc registration refused"`) ||
		!strings.Contains(e.logs.String(), "bad signature") {
		t.Fatalf("refusals not logged as warnings with their reason:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Fatalf("a refusal logged an error:\n%s", e.logs.String())
	}
	// The foreign challenge is still its own session's: nobody else used it up.
	if r := other.register(key.Registration(foreign)); r.status != 200 {
		t.Fatalf("own challenge after a foreign attempt: %d %s", r.status, r.body)
	}
	// A used challenge does not bind twice, even with a valid signature (reused jti).
	c := e.client(uaChromeMac)
	ch := c.pageSignUp("reuse@example.com")
	proof := key.Registration(ch)
	if r := c.register(proof); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := c.register(proof); r.status != 400 {
		t.Fatalf("reused jti: %d", r.status)
	}
}

// Two requests with one proof at once: exactly one binds (the challenge is consumed by
// one DELETE); repeated, as a race needs many tries to show.
func TestDBSCChallengeUsedOnceUnderConcurrency(t *testing.T) {
	e := newHTTPSEnv(t, nil)
	for round := range 15 {
		c := e.client(uaChromeMac)
		key := dbsctest.NewKey()
		id := c.bind("race"+string(rune('a'+round))+"@example.com", key)
		r := c.refresh(id, "")
		m := challengeHeader.FindStringSubmatch(r.header.Get("Secure-Session-Challenge"))
		if m == nil {
			t.Fatalf("no challenge: %d", r.status)
		}
		proof := key.Refresh(m[1])
		var start, done sync.WaitGroup
		start.Add(1)
		statuses := make([]int, 2)
		for i := range statuses {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				statuses[i] = c.refresh(id, proof).status
			}()
		}
		start.Done()
		done.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 200 {
				ok++
			} else if s != 403 {
				t.Fatalf("round %d: status %d", round, s)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d refreshes succeeded with one proof, want 1 (%v)", round, ok, statuses)
		}
	}
}

func TestBoundSessionRefusedWithoutBoundCookie(t *testing.T) {
	e := newHTTPSEnv(t, nil)
	clk := &clock{now: time.Now()}
	e.auth.SetClock(clk.Now)
	c := e.client(uaChromeMac)
	key := dbsctest.NewKey()
	id := c.bind("dee@example.com", key)
	if st, _ := c.currentSession(); st != 200 {
		t.Fatalf("with the bound cookie: %d", st)
	}

	// A copy: the session cookie alone, from elsewhere. In the session's first seconds it
	// passes, as the browser's own requests sent while it registered must (auth's
	// bindingGrace); after them it is refused.
	thief := e.client(uaFirefoxWin)
	thief.cookies["__Host-session"] = c.cookies["__Host-session"]
	if st, _ := thief.currentSession(); st != 200 {
		t.Fatalf("without bound cookie while the browser registers: %d, want 200", st)
	}
	clk.add(11 * time.Second)
	r := thief.get("/api/users/me/current-session")
	if r.status != 401 || r.body != `{"error":"session_unbound"}` {
		t.Fatalf("copy without bound cookie: %d %s", r.status, r.body)
	}
	p := thief.get("/app/settings/security")
	if p.status != 303 || p.header.Get("Location") != "/login?ended=unbound" {
		t.Fatalf("page: %d %q", p.status, p.header.Get("Location"))
	}
	if thief.cookies["__Host-session"] == "" {
		t.Fatal("a refusal cleared the session cookie: the session must live on")
	}
	if l := thief.get("/login?ended=unbound"); !strings.Contains(l.body, "sign in again") {
		t.Fatal("sign-in page has no plain message")
	}
	// A forged or tampered bound cookie is no better.
	exp, _, _ := strings.Cut(c.cookies["__Host-bound"], ".")
	for _, forged := range []string{"9999999999." + strings.Repeat("A", 43), exp + ".x", "garbage"} {
		thief.cookies["__Host-bound"] = forged
		if st, _ := thief.currentSession(); st != 401 {
			t.Fatalf("forged bound cookie %q: %d", forged, st)
		}
	}

	// The bound cookie expires with the clock: even the real browser is refused then...
	clk.add(10*time.Minute + 4*time.Second) // past the TTL and the server's slack (auth.boundCookieSlack)
	if r := c.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, "session_unbound") {
		t.Fatalf("after the TTL: %d %s", r.status, r.body)
	}
	// ...until it refreshes with its key, which the refusal did not end.
	if r := c.refreshWith(id, key); r.status != 200 {
		t.Fatalf("refresh after a refusal: %d %s", r.status, r.body)
	}
	if st, s := c.currentSession(); st != 200 || !s.DeviceBound {
		t.Fatalf("after refresh: %d %+v", st, s)
	}
	if !strings.Contains(e.activityText(c), "A copy of the cookie of Chrome on macOS was refused") {
		t.Fatal("the owner does not see the refused copy in the activity")
	}
}

func TestEndedSessionCannotRefresh(t *testing.T) {
	e := newHTTPSEnv(t, nil)
	clk := &clock{now: time.Now()}
	e.auth.SetClock(clk.Now)
	key := dbsctest.NewKey()

	c := e.client(uaChromeMac)
	id := c.bind("dee@example.com", key)
	owner := e.client(uaFirefoxWin)
	owner.signIn("dee@example.com")
	if r := owner.json("DELETE", "/api/auth/sessions/"+id, ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	ends := func(what string, r response) {
		t.Helper()
		if r.status != 401 || r.body != `{"continue":false}` {
			t.Fatalf("%s: %d %s (want 401 continue:false, which ends Chrome's DBSC session)", what, r.status, r.body)
		}
	}
	ends("revoked, asking for a challenge", c.refresh(id, ""))
	ends("revoked, with a proof", c.refresh(id, key.Refresh("anything")))

	unknown := e.client(uaChromeMac)
	ends("no session cookie", unknown.refresh(id, ""))
	unknown.cookies["__Host-session"] = "not-a-token"
	ends("unknown session", unknown.refresh(id, ""))

	expiring := e.client(uaChromeMac)
	id2 := expiring.bind("dee2@example.com", key)
	ends("another session's id", expiring.refresh(id, ""))
	clk.add(31 * 24 * time.Hour)
	ends("expired", expiring.refresh(id2, ""))

	plain := e.client(uaChromeMac)
	plain.pageSignUp("plain@example.com")
	_, s := plain.currentSession()
	ends("never bound", plain.refresh(s.ID, ""))
}

// Registered on instance A, refreshed on B: both read the binding from the database and
// sign bound cookies with the key they share.
func TestDBSCAcrossTwoInstances(t *testing.T) {
	a := newHTTPSEnv(t, nil)
	b := newHTTPSEnv(t, a.store)
	key := dbsctest.NewKey()
	ca := a.client(uaChromeMac)
	id := ca.bind("dee@example.com", key)
	cb := b.client(uaChromeMac)
	cb.cookies = ca.cookies // the same browser; the load balancer picks B
	if st, s := cb.currentSession(); st != 200 || !s.DeviceBound {
		t.Fatalf("A's bound cookie on B: %d %+v", st, s)
	}
	if r := cb.refreshWith(id, key); r.status != 200 {
		t.Fatalf("refresh on B: %d %s", r.status, r.body)
	}
	if st, _ := ca.currentSession(); st != 200 {
		t.Fatalf("B's bound cookie on A: %d", st)
	}
	// A challenge from A is good on B.
	r := ca.refresh(id, "")
	m := challengeHeader.FindStringSubmatch(r.header.Get("Secure-Session-Challenge"))
	if m == nil {
		t.Fatal(r.status)
	}
	if r := cb.refresh(id, key.Refresh(m[1])); r.status != 200 {
		t.Fatalf("A's challenge on B: %d %s", r.status, r.body)
	}
}

// Everyone else as today: no invitation over plain http, nor to JSON sign-ins.
func TestNoRegistrationOverHTTPOrJSON(t *testing.T) {
	e := newEnv(t) // http://
	c := e.client(uaChromeMac)
	r := c.form("/signup", url.Values{"name": {"Dee"}, "email": {"dee@example.com"}, "password": {testPassword}})
	if r.status != 303 || r.header.Get("Secure-Session-Registration") != "" {
		t.Fatalf("http sign-up: %d %q", r.status, r.header.Get("Secure-Session-Registration"))
	}
	h := newHTTPSEnv(t, nil)
	j := h.client(uaChromeMac)
	r = j.json("POST", "/api/auth/sign-up/email", `{"name":"J","email":"j@example.com","password":"`+testPassword+`"}`)
	if r.status != 200 || r.header.Get("Secure-Session-Registration") != "" {
		t.Fatalf("JSON sign-up: %d %q", r.status, r.header.Get("Secure-Session-Registration"))
	}
	if st, s := j.currentSession(); st != 200 || s.DeviceBound {
		t.Fatalf("JSON client: %d %+v", st, s)
	}
	if r := j.get("/api/auth/get-session"); !strings.Contains(r.body, `"device_bound":false`) {
		t.Fatalf("better-auth session lacks device_bound: %s", r.body)
	}
}
