package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestLiveStreamOpensWhenItsExtensionArrivesLate: the page's live stream opens even when
// hx-sse.min.js arrives after htmx itself (a slow network, a cold cache). With the scripts
// deferred, htmx started on its own timer while the extension was still on its way, and
// the page never opened its stream (the WebKitGTK suite's desktop test met it about one run
// in six). The extension's request is held back in the browser until htmx has loaded.
func TestLiveStreamOpensWhenItsExtensionArrivesLate(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	a.signUp(srv, "Ada Lovelace", "late-extension@example.com")
	a.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { // the extension comes from the network
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	}))
	held := a.holdRequests("*/static/hx-sse.min.js*")
	// Not chromedp.Navigate, which waits for a load the held script keeps from happening.
	a.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: srv.URL + securityPath})
		return err
	}))
	var extension fetch.RequestID
	select {
	case extension = <-held:
	case <-time.After(stepTimeout):
		t.Fatal("the page never asked for hx-sse.min.js")
	}
	a.waitFor("htmx loaded", `typeof window.htmx === "object"`)
	// Give a start of htmx's own its chance to run before the extension: a page that got
	// that far shows it by the elements htmx has taken on.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(a.ctx, time.Second)
		started, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("[data-htmx-powered]")`))
		cancel()
		if err == nil && started {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	a.release(extension)
	a.waitLive()
}
