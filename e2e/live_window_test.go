package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestLiveSignInBeforeTheStreamConnects: a sign-in that commits after A's security page was
// rendered and before its live stream first connects still appears on A, by itself. The
// stream's request is held back in the browser (CDP Fetch interception) for as long as the
// sign-in takes, which makes the outside test's once-in-eight window certain.
func TestLiveSignInBeforeTheStreamConnects(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	c := newDevice(t, "C (Firefox)", uaFirefox)
	a.signUp(srv, "Ada Lovelace", "live-window@example.com")
	held := a.holdStreams()
	a.open(srv.URL + securityPath)
	var stream fetch.RequestID
	select {
	case stream = <-held:
	case <-time.After(stepTimeout):
		t.Fatal("the page's stream never asked to connect")
	}
	if n := len(a.rows()); n != 1 {
		t.Fatalf("A's page was rendered with %d rows; want 1", n)
	}
	c.signIn(srv, "live-window@example.com") // commits while A's stream waits to connect
	a.release(stream)
	a.waitLive()
	a.waitFor("C's row on A", `document.querySelectorAll("#sessions-body > tr").length === 2`)
	if got := a.text("#session-count"); got != "2 active sessions" {
		t.Errorf("count = %q", got)
	}
}

// holdStreams pauses the tab's requests for its live stream until release: the ids of the
// paused ones come on the channel.
func (d *device) holdStreams() <-chan fetch.RequestID {
	d.t.Helper()
	return d.holdRequests("*/app/settings/security/events*")
}

// holdRequests pauses the tab's requests for URLs matching pattern until release.
func (d *device) holdRequests(pattern string) <-chan fetch.RequestID {
	d.t.Helper()
	paused := make(chan fetch.RequestID, 8)
	err := chromedp.Listen(d.ctx, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- ev.RequestID:
			default:
			}
		}
	})
	if err != nil {
		d.t.Fatal(err)
	}
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
			Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
		return err
	}))
	return paused
}

// release lets a held request go, and the tab's later ones through unheld.
func (d *device) release(id fetch.RequestID) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	}))
}
