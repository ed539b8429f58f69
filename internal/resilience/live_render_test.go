package resilience_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// streamURL is the stream address the page rendered (hx-sse:connect), as the browser reads it.
var streamURL = regexp.MustCompile(`hx-sse:connect="([^"]+)"`)

// renderedStream loads the security page and returns the address of its stream.
func renderedStream(t *testing.T, srv *testserver.Server, token string) string {
	t.Helper()
	page := mustCall(t, "GET", srv.URL+"/app/settings/security", token, "")
	m := streamURL.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("security page: %d, stream address %v", page.status, m)
	}
	return srv.URL + html.UnescapeString(m[1])
}

// A sign-in that commits after the security page was rendered and before its stream first
// connects (the window of the outside test's finding 7) reaches the page: the stream
// starts with a resync. Repeated, and against the control of a page that missed nothing,
// whose first event is the next change itself.
func TestLiveFirstConnectCatchesUpWithTheRender(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "window@example.test", true)
	for round := range 5 {
		url := renderedStream(t, srv, token)
		signIn(t, srv, "window@example.test", false) // commits inside the window, on purpose
		stream := testserver.OpenPageStream(t, url, token)
		if stream.Status != 200 {
			t.Fatalf("round %d: stream %d", round, stream.Status)
		}
		if _, ok := stream.Next(2*time.Second, "security-resync"); !ok {
			t.Fatalf("round %d: the sign-in committed after the render never reached the page (no resync on its first connect)", round)
		}
	}

	// Control: nothing happened in between, so no resync; the next sign-in comes as itself.
	url := renderedStream(t, srv, token)
	stream := testserver.OpenPageStream(t, url, token)
	waitStreams(t, srv.Hub, 6) // the rounds' five and this one
	signIn(t, srv, "window@example.test", false)
	ev, ok := stream.Next(2*time.Second, "security-resync", "security-changed")
	if !ok || ev.Name != "security-changed" || !strings.HasPrefix(ev.Data, "new:") {
		t.Fatalf("a page that missed nothing: first event %+v (ok %v); want security-changed new:…", ev, ok)
	}
}
