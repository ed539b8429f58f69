package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestLiveSignOut: B's open security page lands on sign-in, saying why, within 2 s of A's
// revoke, with no input on B. A's own page stays as it was (no reload).
func TestLiveSignOut(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	a.signUp(srv, "Ada Lovelace", "live-out@example.com")
	b.signIn(srv, "live-out@example.com")
	b.waitLive()
	a.open(srv.URL + securityPath)
	a.waitLive()
	bRow := a.rowLabelled("DoCodeGo Desktop")
	a.do(chromedp.Click(chromedp.CSS("#" + bRow.ID + " button")))
	a.waitFor("the dialog", `document.getElementById("confirm-dialog").open`)
	a.do(chromedp.Click(chromedp.CSS("#confirm-dialog button.danger")))
	a.waitFor("B's row to go on A", `!document.getElementById("`+bRow.ID+`")`)
	revoked := time.Now()
	b.waitFor("B on sign-in", `location.pathname === "/login" && document.readyState === "complete"`)
	if took := time.Since(revoked); took > 2*time.Second {
		t.Errorf("B reached sign-in %v after the revoke; want within 2 s", took)
	} else {
		t.Logf("B signed out live %v after A saw the revoke", took.Round(time.Millisecond))
	}
	assertEndedNotice(t, b)
	b.audit("signed out live")
}

// TestLiveNewSignInAppears: a third device's sign-in appears as a row on A's open page
// without a reload, with its notice, announced in the live region; focus stays put.
func TestLiveNewSignInAppears(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	c := newDevice(t, "C (Firefox)", uaFirefox)
	a.signUp(srv, "Ada Lovelace", "live-in@example.com")
	a.waitLive()
	a.do(chromedp.Evaluate[chromedp.Void](`window.e2eSamePage = true`))
	a.do(chromedp.Focus(chromedp.ID("lang-select")))
	c.signIn(srv, "live-in@example.com")
	a.waitFor("C's row on A", `document.querySelectorAll("#sessions-body > tr").length === 2`)
	if !eval[bool](a, `window.e2eSamePage === true`) {
		t.Error("the page reloaded")
	}
	a.waitFor("the live region", `document.getElementById("live").textContent.indexOf("New sign-in") >= 0`)
	if live := a.text("#live"); !strings.Contains(live, "Firefox") {
		t.Errorf("live region = %q, want it to name the device", live)
	}
	if got := a.text("#session-count"); got != "2 active sessions" {
		t.Errorf("count = %q", got)
	}
	if !eval[bool](a, `!!document.querySelector("#revoke-others [data-dialog]")`) {
		t.Error(`no "Revoke all other sessions" after the second sign-in`)
	}
	if !a.focusIs("#lang-select") {
		t.Errorf("focus moved to %s", a.focused())
	}
	a.audit("a sign-in arrived live")

	// C signs out elsewhere: its row goes from A's page, announced.
	c.submit(`form[action="/logout"] button[type="submit"]`)
	a.waitFor("C's row to go", `document.querySelectorAll("#sessions-body > tr").length === 1`)
	a.waitFor("the live region", `document.getElementById("live").textContent.indexOf("Signed out") >= 0`)
	if got := a.text("#session-count"); got != "1 active session" {
		t.Errorf("count = %q", got)
	}
	if eval[bool](a, `!!document.querySelector("#revoke-others")`) {
		t.Error(`"Revoke all other sessions" still shown with one session`)
	}
	a.audit("a session ended live")
}

// TestLiveDialogSessionEnded: A's confirm dialog is open about C's session when C signs
// out: the dialog stays open, says the session has already ended, and offers Close.
func TestLiveDialogSessionEnded(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	c := newDevice(t, "C (Firefox)", uaFirefox)
	a.signUp(srv, "Ada Lovelace", "live-dialog@example.com")
	c.signIn(srv, "live-dialog@example.com")
	a.open(srv.URL + securityPath)
	a.waitLive()
	cRow := a.rowLabelled("Firefox")
	a.do(chromedp.Click(chromedp.CSS("#" + cRow.ID + " button")))
	a.waitFor("the dialog", `document.getElementById("confirm-dialog").open`)
	a.do(chromedp.Evaluate[chromedp.Void](`window.e2eFocus = document.activeElement`))
	c.submit(`form[action="/logout"] button[type="submit"]`)
	a.waitFor("the ended words", `document.querySelector("#confirm-dialog .dialog-error").textContent.indexOf("already ended") >= 0`)
	if !eval[bool](a, `document.getElementById("confirm-dialog").open`) {
		t.Error("the dialog closed")
	}
	if !eval[bool](a, `document.querySelector("#confirm-dialog button.danger").hidden`) {
		t.Error("Confirm is still offered for an ended session")
	}
	if got := a.text("#confirm-dialog [data-close]"); got != "Close" {
		t.Errorf("the dialog's way out reads %q; want Close", got)
	}
	if !eval[bool](a, `document.activeElement === window.e2eFocus`) {
		t.Errorf("focus moved to %s", a.focused())
	}
	if eval[bool](a, `!!document.getElementById("`+cRow.ID+`")`) {
		t.Error("C's row is still in the table")
	}
	a.audit("dialog about an ended session")
	a.keys(kb.Enter) // on Close (focus was on Cancel, which is now Close)
	a.waitFor("the dialog to close", `!document.getElementById("confirm-dialog").open`)
}

// waitLive waits until the page's stream is open, so a change after it is heard.
func (d *device) waitLive() {
	d.t.Helper()
	d.waitFor("the live stream", `(function () {
		var el = document.getElementById("live-stream");
		return !!(el && el._htmx && el._htmx.sse && el._htmx.sse.status === 200);
	})()`)
}
