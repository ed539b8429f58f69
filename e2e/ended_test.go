package e2e_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestShowAllEndedSessionsKeyboard: with 12 ended sessions the page lists the latest 10,
// collapsed; a keyboard user opens the list, activates "Show all ended sessions", and gets
// all 12 in place (no page load), the list still open and focus on the first row that was
// added, so reading goes on where the list grew. axe is clean before and after. A live
// update then keeps the whole list.
func TestShowAllEndedSessionsKeyboard(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	a.signUp(srv, "Ada Lovelace", "ada@example.com")
	for range 12 {
		endSession(t, srv.URL)
	}
	a.open(srv.URL + securityPath)
	const rows = `document.querySelectorAll("#ended-sessions .ended-list > li").length`
	if n := eval[int](a, rows); n != 10 {
		t.Fatalf("%d ended sessions listed, want 10", n)
	}
	if got := a.text("#ended-heading"); got != "Recently ended sessions (12)" {
		t.Errorf("heading = %q", got)
	}
	a.do(chromedp.Evaluate[chromedp.Void](`window.e2eSamePage = true`))

	a.tabTo("#ended-sessions summary")
	a.keys(kb.Enter)
	a.waitFor("the list to open", `document.getElementById("ended-sessions").open`)
	a.audit("ended sessions open, 10 of 12")
	a.tabTo("#ended-sessions .ended-more a")
	a.keys(kb.Enter)
	a.waitFor("all 12 to show", rows+` === 12`)
	if !eval[bool](a, `window.e2eSamePage === true`) {
		t.Error("Show all loaded another page")
	}
	if !eval[bool](a, `document.getElementById("ended-sessions").open`) {
		t.Error("the list closed")
	}
	if !a.focusIs("#ended-sessions .ended-list > li:nth-child(11)") {
		t.Errorf("focus after Show all = %s, want the 11th row", a.focused())
	}
	if n := eval[int](a, `document.querySelectorAll("#ended-sessions .ended-more, [data-autofocus]").length`); n != 0 {
		t.Errorf("%d leftovers of Show all (its link, a focus marker)", n)
	}
	a.audit("ended sessions, all shown")
	// Tab goes on from the focused row to the next control, not from the top of the page.
	a.keys(kb.Tab)
	if f := a.focused(); f == "body" {
		t.Error("Tab from the focused row fell to <body>")
	}
	focused := a.focused()

	// One more session ends elsewhere: the live update keeps the list whole (13) and open,
	// and leaves focus where it was.
	a.waitLive()
	endSession(t, srv.URL)
	a.waitFor("the 13th ended session, live", rows+` === 13`)
	if got := a.text("#ended-heading"); got != "Recently ended sessions (13)" {
		t.Errorf("heading after the live update = %q", got)
	}
	if !eval[bool](a, `document.getElementById("ended-sessions").open`) {
		t.Error("the live update closed the list")
	}
	if f := a.focused(); f != focused {
		t.Errorf("the live update moved focus from %s to %s", focused, f)
	}
}

// endSession signs the account in through the API and out again: one more ended session.
func endSession(t *testing.T, base string) {
	t.Helper()
	gone := &apiClient{t: t, base: base, http: &http.Client{}}
	gone.call("POST", "/api/auth/sign-in/email", `{"email":"ada@example.com","password":"`+password+`"}`, 200)
	gone.call("POST", "/api/auth/sign-out", "", 200)
}
