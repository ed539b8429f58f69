package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The "Change password" card in a real browser under the CSP: a wrong current password
// swaps the card back with the error and focus on that field; the right one announces
// the change, refreshes the table (the other device is signed out) and keeps the page.
func TestChangePasswordInBrowser(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (Firefox)", uaFirefox)
	a.signUp(srv, "Ada Lovelace", "ada@example.com")
	b.signIn(srv, "ada@example.com")
	a.open(srv.URL + securityPath)
	if n := len(a.rows()); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
	if !eval[bool](a, `document.querySelector('#password-card input[name="revoke_others"]').checked`) {
		t.Error(`"Sign out of all other sessions" is not checked by default`)
	}
	fill := func(current string) {
		a.do(
			chromedp.SetValue(chromedp.ID("current-password"), current),
			chromedp.SetValue(chromedp.ID("new-password"), "a brand new passphrase"),
			chromedp.SetValue(chromedp.ID("confirm-password"), "a brand new passphrase"),
			chromedp.Click(chromedp.CSS(`#password-card button[type="submit"]`)),
		)
	}
	fill("not my password")
	a.waitFor("the error in the card", `document.getElementById("password-error")`)
	if got := a.text("#password-error"); got != "Your current password is not right. Nothing was changed." {
		t.Errorf("error = %q", got)
	}
	if !a.focusIs("#current-password") {
		t.Errorf("focus on %s, want the current password field", a.focused())
	}
	if a.location() != srv.URL+securityPath {
		t.Errorf("left the page: %s", a.location())
	}
	fill(password)
	a.waitFor("the announcement", `document.getElementById("live").textContent.indexOf("password was changed") >= 0`)
	a.waitFor("the fresh table", `document.querySelectorAll("#sessions-body tr").length === 1`)
	if a.text("#password-error") != "" || !a.focusIs("#password-heading") {
		t.Errorf("after the change: error %q, focus %s", a.text("#password-error"), a.focused())
	}
	b.open(srv.URL + securityPath)
	b.waitFor("the sign-in page", `location.pathname === "/login"`)
}
