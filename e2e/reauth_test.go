package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// Issue 16, keyboard only: outside the re-authentication window (the proof of sign-in is
// moved an hour back in the database) the confirm dialog asks for the password with focus in its
// field; a wrong one is announced (role=alert), the row stays and focus is back in the
// field; the right one revokes in the same step. axe runs in each new state.
func TestReauthInDialogKeyboardOnly(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	a.signUp(srv, "Ada Lovelace", "ada@example.com")
	b.signIn(srv, "ada@example.com")
	if _, err := srv.Store.DB().ExecContext(t.Context(), `UPDATE sessions SET proven_at = proven_at - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	a.open(srv.URL + securityPath)
	bRow := a.rowLabelled("DoCodeGo Desktop")
	dialog := "#confirm-dialog"
	a.tabTo("#" + bRow.ID + " button") // the row's Revoke (rows carry no data-dialog since the page diet)
	a.keys(kb.Enter)
	a.waitFor("the dialog to open", `document.querySelector("`+dialog+`").open`)
	a.waitFor("focus in the password field", `document.activeElement && document.activeElement.id === "reauth-password"`)
	if got := a.text(dialog + ` label[for="reauth-password"]`); got != "Your password" {
		t.Errorf("field label = %q", got)
	}
	if got := a.text("#reauth-why"); got != "For your security, confirm it's you: enter your password." {
		t.Errorf("why = %q", got)
	}
	a.audit("re-authentication dialog")

	a.keys("not my password at all")
	a.keys(kb.Enter)
	a.waitFor("the inline error", `!!document.querySelector("`+dialog+` #reauth-error[role=alert]")`)
	a.waitFor("focus back in the field", `document.activeElement && document.activeElement.id === "reauth-password" && document.activeElement.getAttribute("aria-invalid") === "true"`)
	if !eval[bool](a, `!!document.getElementById("`+bRow.ID+`") && document.querySelector("`+dialog+`").open`) {
		t.Fatal("a wrong password closed the dialog or removed the row")
	}
	a.audit("re-authentication wrong password")

	a.keys(password)
	a.keys(kb.Enter)
	a.waitFor("B's row to go", `!document.getElementById("`+bRow.ID+`")`)
	a.waitFor("the dialog to close", `!document.querySelector("`+dialog+`").open`)
}
