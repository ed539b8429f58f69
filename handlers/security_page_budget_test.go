package handlers_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/internal/testserver"
)

// pageBudget is issue 15's bound on the security page of a user with 50 sessions: 40 KB of
// HTML before compression, read as 40,000 bytes (not 40 KiB). It was 42,018 bytes after
// "Secure my account" (issue 16) added a form to each notice; the device icons, drawn by
// app.css instead of an <svg> in each row, brought it to ~39,200.
const pageBudget = 40_000

// The security page of a user with 50 sessions is at most 40 KB of HTML before
// compression, shaped like the bench's population (bench/seed.go): beside the sessions,
// "new sign-in" notices, a full page of activity and 50 sessions ended in the last 30 days,
// of which the page lists auth.EndedShown and offers "Show all".
func TestSecurityPageOf50SessionsFitsTheBudget(t *testing.T) {
	e := newEnv(t)
	me := e.client(uaChromeMac)
	me.signUp("fifty@example.com")
	agents := []string{uaFirefoxWin, uaSafariPhone, uaTauriLinux, uaChromeMac}
	// 50 ended sessions: 49 signed out on their own device, one revoked from the page.
	for i := range 49 {
		gone := e.client(agents[i%len(agents)])
		gone.signIn("fifty@example.com")
		if r := gone.json("POST", "/api/auth/sign-out", ""); r.status != 200 {
			t.Fatalf("sign out: %d", r.status)
		}
	}
	var last *client
	for i := range 49 {
		last = e.client(agents[i%len(agents)])
		last.signIn("fifty@example.com")
	}
	if r := me.htmx("DELETE", "/app/settings/security/sessions/"+last.currentID()); r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	e.client(uaFirefoxWin).signIn("fifty@example.com")

	page := me.get("/app/settings/security")
	if page.status != 200 || page.header.Get("Content-Encoding") != "" {
		t.Fatalf("page: %d %q", page.status, page.header.Get("Content-Encoding"))
	}
	if n := strings.Count(page.body, `<tr id="session-`); n != 50 {
		t.Fatalf("%d rows, want 50", n)
	}
	if n := strings.Count(page.body[strings.Index(page.body, `class="ended-list"`):], "\n<li>"); n != auth.EndedShown {
		t.Errorf("%d ended sessions listed, want %d", n, auth.EndedShown)
	}
	for _, want := range []string{"new sign-ins since your last visit", `class="risk"`, "Recent security activity", "Recently ended sessions (50)",
		"Show all ended sessions", `id="activity-more"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %q: it is not the full page", want)
		}
	}
	t.Logf("security page, 50 sessions: %d bytes (budget %d: %+d)", len(page.body), pageBudget, len(page.body)-pageBudget)
	if len(page.body) > pageBudget {
		t.Errorf("security page with 50 sessions is %d bytes; want <= %d", len(page.body), pageBudget)
	}
}

// Rendering the security page afresh costs one database round trip besides the
// session check, as sessions_db_round_trips_total counts them.
func TestSecurityPageRoundTrips(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	me := newBrowser(t, srv, uaChromeMac)
	me.send("POST", "/api/auth/sign-up/email", `{"name":"Trips","email":"trips@example.com","password":"`+testPassword+`"}`)
	signIn := func(ua string) *browser {
		b := newBrowser(t, srv, ua)
		b.send("POST", "/api/auth/sign-in/email", `{"email":"trips@example.com","password":"`+testPassword+`"}`)
		return b
	}
	signIn(uaFirefoxWin)
	ended := signIn(uaSafariPhone)
	ended.send("POST", "/api/auth/sign-out", "")

	perRequest := func(path string, before func()) float64 {
		const warm, n = 4, 6
		var trips float64
		for i := range warm + n {
			if before != nil {
				before()
			}
			start := roundTripsMetric(t, srv.Handler)
			me.send("GET", path, "")
			if i >= warm { // statements are prepared once per connection
				trips += roundTripsMetric(t, srv.Handler) - start
			}
		}
		return trips / n
	}
	check := perRequest("/api/users/me/current-session/", nil)
	// Each view follows a sign-in elsewhere, which moves the user's revision: the page is
	// built afresh, not served from memory.
	page := perRequest("/app/settings/security", func() { signIn(uaTauriLinux) })
	t.Logf("round trips: session check %.1f, security page %.1f", check, page)
	if page-check > 1.5 { // one statement (db.SecurityOverview); a last-seen write may add a fraction
		t.Errorf("the security page costs %.1f database round trips besides the session check (%.1f); want 1", page-check, check)
	}
}

// roundTripsMetric reads sessions_db_round_trips_total from the app's metrics.
func roundTripsMetric(t *testing.T, h *handlers.Handler) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := regexp.MustCompile(`(?m)^sessions_db_round_trips_total (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no sessions_db_round_trips_total in the metrics")
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// browser is an HTTP client with a cookie jar, talking to a served app.
type browser struct {
	t   *testing.T
	srv *testserver.Server
	ua  string
	c   *http.Client
}

func newBrowser(t *testing.T, srv *testserver.Server, ua string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, ua: ua, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// send makes a request (a JSON body when one is given) and fails the test on anything but 2xx.
func (b *browser) send(method, path, body string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	req.Header.Set("User-Agent", b.ua)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}
