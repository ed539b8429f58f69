package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/internal/testserver"
)

// dbscBrowser starts a Chromium of its own with device-bound sessions on (software keys,
// no origin trial, no refresh quota) that trusts only cert, by its key's pin: the
// --ignore-certificate-errors flag would silently turn DBSC off (NOTES.md).
func dbscBrowser(t *testing.T, cert *testserver.Cert) context.Context {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("enable-features", "DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false,"+
			"EnableBoundSessionCredentialsSoftwareKeysForManualTesting"),
		chromedp.Flag("ignore-certificate-errors-spki-list", cert.SPKIPin()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc(); _ = os.RemoveAll(dir) })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium with DBSC: %v", err)
	}
	return ctx
}

// dbscEvents records the tab's Network.deviceBoundSessionEventOccurred events.
type dbscEvents struct {
	mu  sync.Mutex
	evs []*network.EventDeviceBoundSessionEventOccurred
}

func (e *dbscEvents) watch(d *device) {
	err := chromedp.Listen(d.ctx, func(ev any) {
		if ev, ok := ev.(*network.EventDeviceBoundSessionEventOccurred); ok {
			e.mu.Lock()
			e.evs = append(e.evs, ev)
			e.mu.Unlock()
		}
	})
	if err != nil {
		d.t.Fatal(err)
	}
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EnableDeviceBoundSessions, network.EnableDeviceBoundSessionsParams{Enable: true})
		return err
	}))
}

func (e *dbscEvents) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.evs)
}

// waitFor waits until an event satisfies ok and returns it.
func (e *dbscEvents) waitFor(t *testing.T, what string, within time.Duration, ok func(*network.EventDeviceBoundSessionEventOccurred) bool) *network.EventDeviceBoundSessionEventOccurred {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, ev := range e.evs {
			if ok(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.evs {
		t.Logf("dbsc event: succeeded=%v session=%q creation=%+v refresh=%+v termination=%+v challenge=%+v",
			ev.Succeeded, ev.SessionID, ev.CreationEventDetails, ev.RefreshEventDetails, ev.TerminationEventDetails, ev.ChallengeEventDetails)
	}
	t.Fatalf("no DBSC event: %s", what)
	return nil
}

func created(ev *network.EventDeviceBoundSessionEventOccurred) bool {
	return ev.CreationEventDetails != nil && ev.Succeeded
}

func refreshed(ev *network.EventDeviceBoundSessionEventOccurred) bool {
	return ev.RefreshEventDetails != nil && ev.Succeeded &&
		ev.RefreshEventDetails.RefreshResult == network.RefreshEventDetailsRefreshResultRefreshed
}

// boundTTL is the bound cookie's life in this test: Chrome refreshes at about 40% of it.
const boundTTL = 6 * time.Second

// The whole point of DBSC, in a real browser: the session binds at sign-in, the browser
// stays signed in across refreshes of a short-lived cookie, and the cookies copied out of
// it stop working for anyone else once that cookie's life is over.
func TestDeviceBoundSessionInChromium(t *testing.T) {
	srv, cert, owner := startDBSC(t)
	d := newDeviceIn(t, dbscBrowser(t, cert), "chrome", uaChrome)
	var events dbscEvents
	events.watch(d)
	d.signIn(srv, "dee@example.com") // the form's POST answers 303 with the invitation
	reg := events.waitFor(t, "registration after the sign-in's 303", 10*time.Second, created)
	bound := owner.boundSessions()
	if len(bound) != 1 || bound[0] != reg.SessionID {
		t.Fatalf("server side: bound sessions %v, Chrome registered %q", bound, reg.SessionID)
	}
	if !strings.Contains(srv.Logs(), "type=session_bound") {
		t.Fatal("no session_bound event logged")
	}
	// The redirect Chrome followed while it registered carried no bound cookie yet: it is
	// not a refused copy (it was, and the owner's activity said so).
	d.waitFor("the security page after the sign-in", `location.pathname === "`+securityPath+`"`)
	if strings.Contains(srv.Logs(), "type=session_unbound_refused") {
		t.Fatal("the device's own requests while it registered were refused as a copy")
	}

	// Stay signed in across a refresh: the registration's cookie has expired, so Chrome
	// holds the navigation back, refreshes with its key, and then sends it.
	time.Sleep(boundTTL + time.Second)
	d.open(srv.URL + securityPath)
	d.waitFor("the security page, still signed in", `location.pathname === "`+securityPath+`"`)
	events.waitFor(t, "a refresh", boundTTL, refreshed)
	if got := d.text("tr.current .bound"); got != "Device-bound" {
		t.Fatalf("current row shows %q, want Device-bound", got)
	}
	d.audit("device-bound row")
	d.screenshots("device-bound")
	// The page stays open through the replay below. Its live stream is closed when the bound
	// cookie it was opened with expires; the SSE extension reconnects by itself, with the
	// cookie Chrome has renewed, so the page stays signed in and live.
	d.waitLive()
	eval[bool](d, `(function () {
		window.sseConnects = 0;
		document.getElementById("live-stream").addEventListener("htmx:sse:after:connection", function () { window.sseConnects++; });
		return true;
	})()`)

	// Copy the cookies out, as malware would, and replay them after the bound cookie's life.
	stolen := d.cookies(srv.URL)
	var names []string
	for _, c := range stolen {
		names = append(names, c.Name)
	}
	if !slices.Contains(names, "__Host-session") || !slices.Contains(names, "__Host-bound") {
		t.Fatalf("cookies in the browser: %v", names)
	}
	time.Sleep(boundTTL + 4*time.Second) // the server takes a bound cookie 2-3 s longer than Chrome keeps it
	thief := &apiClient{t: t, base: srv.URL, http: cert.Client()}
	for _, c := range stolen {
		thief.cookies = append(thief.cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	if body := thief.call("GET", "/api/users/me/current-session", "", 401); body != `{"error":"session_unbound"}` {
		t.Fatalf("replayed cookies: %s", body)
	}
	thief.call("GET", securityPath, "", 303)
	if got := eval[string](d, "location.pathname"); got != securityPath {
		t.Fatalf("the open page went to %s when its live stream's bound cookie expired", got)
	}
	if n := eval[int](d, "window.sseConnects"); n < 1 {
		t.Fatal("the page's live stream did not reconnect after its bound cookie expired")
	}
	d.waitLive()
	// ...while the browser, which holds the key, keeps working.
	d.open(srv.URL + securityPath)
	d.waitFor("the security page after the replay", `location.pathname === "`+securityPath+`"`)
	if got := d.text("tr.current .bound"); got != "Device-bound" {
		t.Fatalf("after the replay the row shows %q", got)
	}
	if !strings.Contains(d.text("#activity, .activity"), "A copy of the cookie of Chrome on Linux was refused") {
		t.Errorf("activity does not show the refused copy: %s", d.text("#activity, .activity"))
	}

	// Revoked: the next refresh is refused, and the answer ends Chrome's DBSC session.
	owner.call("DELETE", "/api/auth/sessions/"+reg.SessionID, "", 204)
	time.Sleep(boundTTL + time.Second)
	d.open(srv.URL + securityPath) // Chrome refreshes first: refused with 401 {"continue":false}
	d.waitFor("sign-in after the revoke", `location.pathname === "/login"`)
	ended := events.waitFor(t, "termination after the revoke", 3*boundTTL, func(ev *network.EventDeviceBoundSessionEventOccurred) bool {
		return ev.SessionID == reg.SessionID && ev.TerminationEventDetails != nil
	})
	if r := ended.TerminationEventDetails.DeletionReason; r != network.TerminationEventDetailsDeletionReasonRefreshFatalError &&
		r != network.TerminationEventDetailsDeletionReasonServerRequested {
		t.Fatalf("DBSC session ended for %s", r)
	}
	t.Logf("Chrome ended its DBSC session: %s", ended.TerminationEventDetails.DeletionReason)
	// Ended for good: later requests do not try to refresh it again.
	before := events.count()
	d.open(srv.URL + "/login")
	time.Sleep(time.Second)
	if n := events.count(); n != before {
		t.Fatalf("%d DBSC events after the session ended", n-before)
	}
}

// startDBSC serves the app over https with a bound cookie of boundTTL, and signs up the
// account dee@example.com through the JSON API; owner is that plain JSON client.
func startDBSC(t *testing.T) (srv *testserver.Server, cert *testserver.Cert, owner *apiClient) {
	t.Helper()
	cert = testserver.NewCert(t)
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	cfg.BoundCookieTTL = boundTTL
	srv = testserver.Start(t, testserver.Options{TLS: cert, Auth: &cfg})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s", srv.Logs())
		}
	})
	owner = &apiClient{t: t, base: srv.URL, http: cert.Client()}
	owner.call("POST", "/api/auth/sign-up/email", `{"name":"Dee","email":"dee@example.com","password":"`+password+`"}`, 200)
	return srv, cert, owner
}

// apiClient is a plain Go HTTP client with its own cookies: a JSON client, or a thief.
type apiClient struct {
	t       *testing.T
	base    string
	http    *http.Client
	cookies []*http.Cookie
}

// call sends a request, keeps the cookies it is given, checks the status, returns the body.
func (a *apiClient) call(method, path, body string, want int) string {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, c := range a.cookies {
		req.AddCookie(c)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a.cookies = append(a.cookies, resp.Cookies()...)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	return string(data)
}

// boundSessions lists the ids of the account's device-bound sessions.
func (a *apiClient) boundSessions() []string {
	a.t.Helper()
	var list struct {
		Sessions []struct {
			ID          string `json:"id"`
			DeviceBound bool   `json:"device_bound"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(a.call("GET", "/api/auth/sessions", "", 200)), &list); err != nil {
		a.t.Fatal(err)
	}
	var ids []string
	for _, s := range list.Sessions {
		if s.DeviceBound {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
