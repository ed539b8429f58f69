package handlers_test

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/dbsc/dbsctest"
	"github.com/docodego/sessions/internal/testserver"
)

// newServedHTTPSEnv is the whole app served over TLS on a loopback port, device-bound
// sessions and live streams on; its clients reach it over the network as browsers do.
func newServedHTTPSEnv(t *testing.T, cfg auth.Config) (*env, *testserver.Cert) {
	t.Helper()
	cert := testserver.NewCert(t)
	logs := &testserver.LogBuffer{}
	// Heartbeats an hour apart: nothing but the bound cookie ends a stream here.
	srv := testserver.Start(t, testserver.Options{TLS: cert, Auth: &cfg, Heartbeat: time.Hour, Logs: logs})
	return &env{t: t, app: srv.App, store: srv.Store, auth: srv.Handler.AuthService(), logs: logs,
		base: srv.URL, http: cert.Client()}, cert
}

// openStream opens the client's live stream with the cookies it holds now, as the page's
// SSE extension does on every (re)connect; lastEventID set makes it a reconnect.
func (c *client) openStream(cert *testserver.Cert, lastEventID string) *testserver.Stream {
	c.e.t.Helper()
	var cookies []*http.Cookie
	for name, value := range c.cookies {
		cookies = append(cookies, &http.Cookie{Name: name, Value: value})
	}
	return cert.OpenStream(c.e.t, c.e.base, cookies, lastEventID)
}

// A device-bound session's live stream ends with the bound cookie it was opened with: a
// copy of the cookies cannot go on hearing the account's events after the copied bound
// cookie expires. The device, which renews its bound cookie, reconnects to a live stream;
// the copy's reconnect is told its session ended (unbound), and the session lives on. An
// ordinary session's stream is not affected.
func TestLiveStreamEndsWithItsBoundCookie(t *testing.T) {
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	cfg.BoundCookieTTL = 3 * time.Second // the server takes it 5-6 s (auth.boundCookieSlack, whole seconds)
	e, cert := newServedHTTPSEnv(t, cfg)
	key := dbsctest.NewKey()
	device := e.client(uaChromeMac)
	id := device.bind("dee@example.com", key)
	plain := e.client(uaFirefoxWin) // an ordinary session of the same person
	plain.signIn("dee@example.com")
	copied := e.client(uaFirefoxWin) // what malware copies out of the device: both cookies
	copied.cookies = maps.Clone(device.cookies)
	exp, _, _ := strings.Cut(device.cookies["__Host-bound"], ".")
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		t.Fatalf("bound cookie %q", device.cookies["__Host-bound"])
	}
	boundUntil := time.Unix(secs, 0)

	bound, ordinary := device.openStream(cert, ""), plain.openStream(cert, "")
	if bound.Status != 200 || ordinary.Status != 200 {
		t.Fatalf("streams: %d, %d; want 200", bound.Status, ordinary.Status)
	}
	// (1) The server closes the bound stream when its bound cookie expires, and says
	// nothing: the device may have renewed it, which its reconnect shows.
	if ev, ok := bound.Next(time.Until(boundUntil)+2*time.Second, "session-ended"); ok {
		t.Fatalf("bound stream sent %+v; want it closed without a word", ev)
	}
	if !bound.Ended(time.Second) {
		t.Fatal("the stream of a device-bound session outlived the bound cookie it was opened with")
	}
	if early := time.Until(boundUntil); early > 100*time.Millisecond {
		t.Fatalf("bound stream closed %v before its bound cookie expired", early)
	}
	// (3) An ordinary session's stream goes on.
	if ordinary.Ended(500 * time.Millisecond) {
		t.Fatal("an ordinary session's stream ended with another session's bound cookie")
	}

	// (2) The copy reconnects with the expired bound cookie: sent to sign in, unbound...
	stale := copied.openStream(cert, "1")
	if ev, ok := stale.Next(time.Second, "session-ended"); stale.Status != 200 || !ok || ev.Data != "/login?ended=unbound" {
		t.Fatalf("the copy's reconnect: %d %+v; want session-ended to /login?ended=unbound", stale.Status, ev)
	}
	if !stale.Ended(time.Second) {
		t.Fatal("the copy's refused stream stayed open")
	}
	// ...while the session lives on: the device renews its bound cookie with its key...
	if r := device.refreshWith(id, key); r.status != 200 {
		t.Fatalf("refresh after the copy was refused: %d %s", r.status, r.body)
	}
	if st, s := device.currentSession(); st != 200 || !s.DeviceBound {
		t.Fatalf("the device after the copy was refused: %d %+v", st, s)
	}
	// ...and (1) its reconnect gets a live stream again, starting with a resync.
	again := device.openStream(cert, "1")
	if _, ok := again.Next(time.Second, "security-resync"); again.Status != 200 || !ok {
		t.Fatalf("the device's reconnect: %d, resync %v; want 200 and a resync", again.Status, ok)
	}
	e.client(uaSafariPhone).signIn("dee@example.com")
	for name, s := range map[string]*testserver.Stream{"the device's new": again, "the ordinary": ordinary} {
		if !hearsSignIn(s, time.Second) {
			t.Errorf("%s stream heard nothing of a new sign-in", name)
		}
	}
}

// hearsSignIn reports whether the stream tells of a new sign-in within d (other changes,
// such as the refused copy's activity, come first).
func hearsSignIn(s *testserver.Stream, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; {
		ev, ok := s.Next(time.Until(deadline), "security-changed")
		if !ok || strings.HasPrefix(ev.Data, "new:") {
			return ok
		}
	}
}
