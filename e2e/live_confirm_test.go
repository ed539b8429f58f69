package e2e_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// watchConfirmation counts the live updates swapped in after a revoke's confirmation was
// shown, and notes one that took the confirmation away.
const watchConfirmation = `(function () {
  window.e2eShown = ""; window.e2eLiveAfter = 0; window.e2eLost = "";
  document.addEventListener("htmx:after:swap", function (e) {
    var src = e.detail && e.detail.ctx && e.detail.ctx.sourceElement;
    var done = document.getElementById("revoke-done");
    var text = done && !done.hidden ? done.textContent : "";
    if (!(src && src.id === "live-stream")) {
      if (text) window.e2eShown = text;
      return;
    }
    if (!window.e2eShown) return;
    window.e2eLiveAfter++;
    if (text !== window.e2eShown) window.e2eLost = text || "(gone)";
  });
})()`

// TestRevokeConfirmationOutlivesLiveUpdates: A revokes B at the moment C signs in. A's
// page ends with B's row gone, C's row there, and the revoke's confirmation still shown
// through every live update after it: its own (a revoke also sends "chg", so one always
// follows) and C's. Three rounds, each starting both sides at a barrier.
func TestRevokeConfirmationOutlivesLiveUpdates(t *testing.T) {
	srv := start(t)
	browser := startBrowser(t)
	const email = "live-done@example.com"
	a := newDeviceIn(t, browser, "A (Chrome)", uaChrome)
	a.signUp(srv, "Ada Lovelace", email)
	for round := range 3 {
		b := newDeviceIn(t, browser, fmt.Sprintf("B%d (desktop app)", round), uaDesktop)
		b.signIn(srv, email)
		c := newDeviceIn(t, browser, fmt.Sprintf("C%d (Firefox)", round), uaFirefox)
		c.open(srv.URL + "/login")
		c.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password))

		a.open(srv.URL + securityPath)
		a.waitLive()
		a.do(chromedp.Evaluate[chromedp.Void](watchConfirmation))
		want := len(a.rows()) // B goes, C comes
		bRow := a.rowLabelled("DoCodeGo Desktop")
		a.do(chromedp.Click(`#` + bRow.ID + ` form[action$="/revoke"] > button:first-child`))
		a.waitFor("the dialog", `document.getElementById("confirm-dialog").open`)

		barrier, signedIn := make(chan struct{}), make(chan error, 1)
		go func() {
			<-barrier
			ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
			defer cancel()
			_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
			signedIn <- err
		}()
		close(barrier)
		a.do(chromedp.Click(`#confirm-dialog button.danger`))
		if err := <-signedIn; err != nil {
			t.Fatalf("round %d: C's sign-in: %v", round, err)
		}

		a.waitFor("B's row gone and C's there", fmt.Sprintf(`!document.getElementById(%q) && document.querySelectorAll("#sessions-body > tr").length === %d`, bRow.ID, want))
		a.waitFor("a live update after the confirmation", `window.e2eLiveAfter > 0`)
		if lost := eval[string](a, `window.e2eLost`); lost != "" {
			t.Errorf("round %d: a live update replaced the confirmation with %q", round, lost)
		}
		if got, wantText := a.text("#revoke-done"), "Signed out "+bRow.Label; got != wantText {
			t.Errorf("round %d: the confirmation reads %q, want %q", round, got, wantText)
		}
	}
	a.audit("the confirmation after live updates")
}
