package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/docodego/sessions/geo/geotest"
	"github.com/docodego/sessions/internal/testserver"
)

// forwardedFor makes every request of the device carry X-Forwarded-For: ip, as a proxy
// in front of the app would add it.
func (d *device) forwardedFor(ip string) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"X-Forwarded-For": ip},
		})
		return err
	}))
}

// TestPlacesInBrowser: behind a trusted proxy (the browser on 127.0.0.1 sends
// X-Forwarded-For itself), a session shows its place, the local one "Local network", every
// row a device icon hidden from assistive technology, and the page the DB-IP link; the
// German page names the country in German; axe stays clean in light and dark.
func TestPlacesInBrowser(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TrustedProxies: []string{"127.0.0.1"}, Places: geotest.Open(t)})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s", srv.Logs())
		}
	})
	a := newDevice(t, "A (Chrome, local)", uaChrome)
	b := newDevice(t, "B (desktop app, Berlin)", uaDesktop)
	b.forwardedFor("85.214.132.117")
	a.signUp(srv, "Ada Places", "places@example.com")
	b.signIn(srv, "places@example.com")

	a.open(srv.URL + securityPath)
	bRow := "#" + a.rowLabelled("DoCodeGo Desktop").ID
	if got := a.text(bRow + " th small"); !strings.HasPrefix(got, "Berlin, Germany · ") {
		t.Errorf("B's place %q, want Berlin, Germany", got)
	}
	if got := a.text("tr.current th small"); !strings.HasPrefix(got, "Local network · ") {
		t.Errorf("A's place %q, want Local network", got)
	}
	if got := a.text(`a[href="https://db-ip.com"]`); got != "IP geolocation by DB-IP" {
		t.Errorf("attribution link %q", got)
	}
	// Each row's icon is its th's ::before, masked by the kind's SVG: empty content (nothing
	// for screen readers: the label says it), a visible box, and the SVG fetched (CSP allows it).
	icons := eval[[]string](a, `Array.from(document.querySelectorAll("#sessions-body th")).map(function (th) {
		var s = getComputedStyle(th, "::before"), file = (s.maskImage.match(/device-\w+\.svg/) || ["none"])[0];
		var fetched = performance.getEntriesByType("resource").some(function (e) { return e.name.endsWith("/static/" + file) && e.responseStatus === 200; });
		return s.content + " " + file + " " + (parseFloat(s.width) > 0 && parseFloat(s.height) > 0) + " " + fetched;
	})`)
	if strings.Join(icons, ",") != `"" device-desktop.svg true true,"" device-app.svg true true` {
		t.Errorf("device icons %v", icons)
	}
	for _, scheme := range []string{"light", "dark"} {
		a.colorScheme(scheme)
		a.audit("places " + scheme)
		a.screenshots("places-" + scheme) // desktop and 375 px; fails if the page scrolls sideways
	}

	a.language(uaChrome, "de")
	a.open(srv.URL + securityPath)
	if got := a.text(bRow + " th small"); !strings.HasPrefix(got, "Berlin, Deutschland · ") {
		t.Errorf("German page: B's place %q, want Berlin, Deutschland", got)
	}
	if got := a.text("tr.current th small"); !strings.HasPrefix(got, "Lokales Netzwerk · ") {
		t.Errorf("German page: A's place %q", got)
	}
	a.audit("places de")
}
