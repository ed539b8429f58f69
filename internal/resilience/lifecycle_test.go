package resilience_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// Shutdown waits for a request in flight (here held up by a table lock) to finish and
// answer, and refuses new connections meanwhile.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "shutdown@example.test", true)
	inFlight, release := requestHeldByLock(t, srv, token)
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.App.ShutdownWithTimeout(10 * time.Second) }()
	waitFor(t, "new connections to be refused", func() bool {
		_, err := call(t, "GET", srv.URL+"/healthz", "", "")
		return err != nil
	})
	select {
	case err := <-shutdown:
		t.Fatalf("shutdown returned (%v) while a request was in flight", err)
	default:
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if a := <-inFlight; a.status != 200 || !strings.Contains(a.body, `"sessions"`) {
		t.Errorf("request in flight during shutdown: %d %s; want 200 with the list", a.status, a.body)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// The probes answer without a session; /readyz says 503 once the database is unreachable,
// while /healthz still says the process is up.
func TestProbes(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	for _, path := range []string{"/healthz", "/readyz"} {
		if a := mustCall(t, "GET", srv.URL+path, "", ""); a.status != 200 {
			t.Errorf("%s: %d %s", path, a.status, a.body)
		}
	}
	srv.Store.Close()
	if a := mustCall(t, "GET", srv.URL+"/readyz", "", ""); a.status != 503 {
		t.Errorf("/readyz with the database gone: %d; want 503", a.status)
	}
	if a := mustCall(t, "GET", srv.URL+"/healthz", "", ""); a.status != 200 {
		t.Errorf("/healthz with the database gone: %d; want 200", a.status)
	}
}

// The metrics listener counts requests by route, sign-ins and revocations; the public
// listener does not serve /metrics.
func TestMetrics(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	metrics := httptest.NewServer(srv.Handler.MetricsHandler())
	t.Cleanup(metrics.Close)

	laptop := signIn(t, srv, "metrics@example.test", true)
	phone := signIn(t, srv, "metrics@example.test", false)
	mustCall(t, "DELETE", srv.URL+"/api/auth/sessions/"+currentSessionID(t, srv, phone)+"/", laptop, "")
	mustCall(t, "GET", srv.URL+"/api/auth/sessions/", laptop, "")
	if a := mustCall(t, "GET", srv.URL+"/metrics", "", ""); a.status != 404 {
		t.Errorf("public /metrics: %d; want 404", a.status)
	}

	text := mustCall(t, "GET", metrics.URL, "", "").body
	for series, want := range map[string]float64{
		`sessions_sign_ins_total`:    2,
		`sessions_revocations_total`: 1,
		`sessions_http_requests_total{method="GET",route="/api/auth/sessions",status="200"}`:        1,
		`sessions_http_requests_total{method="DELETE",route="/api/auth/sessions/:id",status="204"}`: 1,
		`sessions_http_request_duration_seconds_count{method="GET",route="/api/auth/sessions"}`:     1,
		`sessions_http_requests_total{method="POST",route="/api/auth/sign-up/email",status="200"}`:  1,
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %v; want %v", series, got, want)
		}
	}
	if metricValue(text, "sessions_db_round_trips_total") <= 0 {
		t.Errorf("sessions_db_round_trips_total not counted")
	}
}

// An authenticated read costs its session lookup and its own queries, each one prepared
// statement execution, every time: nothing is kept in memory between requests (issue 15
// removed the list and page caches). The page: the lookup, the list, the account and one
// query for its activity sections (issue 15: at most 3 besides the lookup).
func TestAuthenticatedReadRoundTrips(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "trips@example.test", true)
	for path, want := range map[string]float64{
		"/api/auth/sessions/":            2,
		"/api/users/me/current-session/": 1,
		"/app/settings/security":         4,
	} {
		// A browser: it keeps the device cookie the first answer sets (the page's CSRF
		// token is made from it).
		jar, _ := cookiejar.New(nil)
		u, _ := url.Parse(srv.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: token}})
		browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		get := func() {
			resp, err := browser.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
		}
		for range 3 { // warm up: statements are prepared once per connection
			get()
		}
		const n = 20
		before := srv.Store.RoundTrips()
		for range n {
			get()
		}
		if per := float64(srv.Store.RoundTrips()-before) / n; per > want {
			t.Errorf("%s: %.2f database round trips per request; want <= %v", path, per, want)
		}
	}
}

// Static files are served before the session middleware: a request for one with a
// session cookie costs no database round trip (sessions_db_round_trips_total stays),
// while an API read with the same cookie costs its token lookup.
func TestStaticFilesCostNoRoundTrip(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	metrics := httptest.NewServer(srv.Handler.MetricsHandler())
	t.Cleanup(metrics.Close)
	token := signIn(t, srv, "static@example.test", true)
	roundTrips := func() float64 {
		return metricValue(mustCall(t, "GET", metrics.URL, "", "").body, "sessions_db_round_trips_total")
	}

	before := roundTrips()
	for _, path := range []string{"/static/app.css", "/static/app.js", "/static/htmx.min.js"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: token})
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d, CSP %q; want 200 with the security headers", path, resp.StatusCode,
				resp.Header.Get("Content-Security-Policy"))
		}
	}
	if n := roundTrips() - before; n != 0 {
		t.Errorf("3 static files with a session cookie cost %v database round trips; want 0", n)
	}

	before = roundTrips()
	mustCall(t, "GET", srv.URL+"/api/users/me/current-session/", token, "")
	if n := roundTrips() - before; n < 1 {
		t.Errorf("an API read with the cookie cost %v round trips; the counter does not count lookups", n)
	}
}

func metricValue(text, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// requestHeldByLock sends a list request that waits on a table lock, and returns once
// PostgreSQL shows it waiting: its answer arrives on the channel after release.
func requestHeldByLock(t *testing.T, srv *testserver.Server, token string) (inFlight <-chan answer, release func() error) {
	t.Helper()
	ctx := context.Background()
	tx, err := srv.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(ctx, `LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	answers := make(chan answer, 1)
	go func() {
		a, err := call(t, "GET", srv.URL+"/api/auth/sessions/", token, "")
		if err != nil {
			a.body = err.Error()
		}
		answers <- a
	}()
	waitFor(t, "the request to wait on the lock", func() bool {
		var n int
		_ = srv.Store.DB().GetContext(ctx, &n,
			`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)
		return n > 0
	})
	return answers, tx.Commit
}
