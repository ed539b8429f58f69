package e2e_test

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// refreshesUnderLoad is how many refreshes the browser must make without being signed out.
const refreshesUnderLoad = 20

// TestDeviceBoundSessionRefreshesUnderLoad: a real headless Chromium keeps its device-bound
// session across at least 20 refreshes of a short-lived bound cookie while a CPU hog spins
// on every core, with an open page whose live stream reconnects at each cookie's end and
// which asks the API for its session every 300 ms: no refresh fails, Chrome never ends its
// DBSC session, no request is refused as unbound, and the page never leaves. (The outside
// test saw one sign-out in six loaded runs: the device's refreshes filled the per-session
// limit of all DBSC requests, whose 429 Chrome takes as fatal.)
func TestDeviceBoundSessionRefreshesUnderLoad(t *testing.T) {
	srv, cert, _ := startDBSC(t)
	d := newDeviceIn(t, dbscBrowser(t, cert), "chrome", uaChrome)
	var events dbscEvents
	events.watch(d)
	d.signIn(srv, "dee@example.com")
	reg := events.waitFor(t, "registration after the sign-in", 10*time.Second, created)
	// Reloaded once bound: the page the sign-in landed on may have opened its stream while
	// Chrome was still registering, as an ordinary session's, which no bound cookie ends.
	d.open(srv.URL + securityPath)
	d.waitLive()
	eval[bool](d, `(function () {
		window.sseConnects = 0;
		window.sseTrouble = [];
		var el = document.getElementById("live-stream");
		el.addEventListener("htmx:sse:after:connection", function () { window.sseConnects++; });
		el.addEventListener("htmx:sse:error", function (e) { window.sseTrouble.push("error " + (e.detail.status || e.detail.error)); });
		el.addEventListener("htmx:sse:close", function (e) { window.sseTrouble.push("close " + e.detail.reason); });
		return true;
	})()`)

	hogCPU(t, 5*time.Minute)
	// The page asks the API for its session, one request after the other, 100 ms apart:
	// each request is one Chrome may hold back for a refresh, or start one beside.
	eval[bool](d, `(function () {
		window.e2eStatuses = {};
		var count = function (k) { window.e2eStatuses[k] = (window.e2eStatuses[k] || 0) + 1; };
		var next = function () {
			fetch("/api/users/me/current-session").then(function (r) { count(String(r.status)); },
				function () { count("failed"); }).then(function () { setTimeout(next, 100); });
		};
		next();
		return true;
	})()`)
	began := time.Now()
	deadline := began.Add(4 * time.Minute)
	// Chrome refreshes ahead of a short cookie's end (on a request, beside it) and when a
	// request finds it gone: the test runs through several cookie lifetimes, so the page's
	// stream reaches its bound cookie's end and reconnects, as well as the 20 refreshes.
	for n := 0; n < refreshesUnderLoad || time.Since(began) < 4*boundTTL; n = events.refreshes(reg.SessionID) {
		if time.Now().After(deadline) {
			t.Fatalf("%d refreshes in 4 minutes; want %d", n, refreshesUnderLoad)
		}
		if bad := events.failures(reg.SessionID); len(bad) > 0 {
			t.Fatalf("after %d refreshes, DBSC failed: %s", n, strings.Join(bad, "; "))
		}
		if loc := eval[string](d, "location.pathname"); loc != securityPath {
			t.Fatalf("after %d refreshes the page went to %s", n, loc)
		}
		time.Sleep(250 * time.Millisecond)
	}
	statuses := eval[map[string]int](d, `window.e2eStatuses`)
	t.Logf("%d refreshes under load in %v; the page's API calls: %v", events.refreshes(reg.SessionID),
		time.Since(began).Round(time.Second), statuses)
	for status, n := range statuses {
		if status != "200" {
			t.Errorf("%d API calls of the page got %s", n, status)
		}
	}
	if statuses["200"] == 0 {
		t.Error("the page's API calls never succeeded")
	}
	if n := eval[int](d, "window.sseConnects"); n < 1 {
		t.Errorf("the page's live stream never reconnected at its bound cookie's end (%s)", eval[string](d, `window.sseTrouble.join("; ")`))
	}
	if strings.Contains(srv.Logs(), "type=session_unbound_refused") {
		t.Error("a request of the device was refused as a copy (unbound)")
	}
	if got := d.text("tr.current .bound"); got != "Device-bound" {
		t.Errorf("current row shows %q, want Device-bound", got)
	}
}

// refreshes counts the session's successful refreshes.
func (e *dbscEvents) refreshes(sessionID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if ev.SessionID == sessionID && refreshed(ev) {
			n++
		}
	}
	return n
}

// failures describes the session's failed DBSC events and its termination, if any.
func (e *dbscEvents) failures(sessionID string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var bad []string
	for _, ev := range e.evs {
		switch {
		case ev.SessionID != sessionID:
		case ev.TerminationEventDetails != nil:
			bad = append(bad, "terminated: "+string(ev.TerminationEventDetails.DeletionReason))
		case ev.RefreshEventDetails != nil && (!ev.Succeeded ||
			ev.RefreshEventDetails.RefreshResult != network.RefreshEventDetailsRefreshResultRefreshed):
			bad = append(bad, "refresh "+string(ev.RefreshEventDetails.RefreshResult)+" "+string(ev.RefreshEventDetails.FetchResult))
		}
	}
	return bad
}

// hogCPU keeps every core busy with shell loops until the test ends, or for at most d.
func hogCPU(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	var hogs []*exec.Cmd
	t.Cleanup(func() {
		cancel() // kills them
		for _, h := range hogs {
			_ = h.Wait()
		}
	})
	for range runtime.NumCPU() {
		hog := exec.CommandContext(ctx, "sh", "-c", "while :; do :; done")
		if err := hog.Start(); err != nil {
			t.Fatalf("start CPU hog: %v", err)
		}
		hogs = append(hogs, hog)
	}
}
