package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// Issue 16, "Not you?" from the notice: B signs in to A's account from a new device; A
// sees the "New sign-in" notice, opens the email's link (B's row highlighted), then with
// the keyboard only secures the account from the notice. A lands on the change-password
// form, focused, told what was done and how many sessions ended; B's cookie is refused.
// axe runs on the notice, the highlighted row, the open dialog and the after state.
func TestNotYouFromTheNotice(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	a.signUp(srv, "Ada Lovelace", "notyou@example.com")
	b.signIn(srv, "notyou@example.com")
	bAPI := &apiClient{t: t, base: srv.URL, http: &http.Client{}}
	for _, c := range b.cookies(srv.URL) {
		bAPI.cookies = append(bAPI.cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	bAPI.call("GET", "/api/users/me/current-session", "", 200)

	// The summary of B's sign-in, and B's flagged row with "Not you? Secure your account".
	a.open(srv.URL + securityPath)
	bRow := a.rowLabelled("DoCodeGo Desktop")
	bID := strings.TrimPrefix(bRow.ID, "session-")
	notice := "#sign-in-notices .notice"
	if got := a.text(notice + " p"); got != "1 new sign-in since your last visit" {
		t.Errorf("notice = %q", got)
	}
	secure := "#session-" + bID + ` button[value="secure"]`
	if got := a.text(secure); got != "Not you? Secure your account" {
		t.Errorf("the row's secure button = %q", got)
	}
	a.audit("new sign-in notice")

	// The email's link: B's row is highlighted, in words too.
	a.open(srv.URL + securityPath + "?session=" + bID)
	if !eval[bool](a, `document.getElementById("`+bRow.ID+`").classList.contains("highlight")`) {
		t.Error("B's row is not highlighted")
	}
	if got := a.text("#" + bRow.ID + " strong.badge"); got != "The session from the email" {
		t.Errorf("highlight badge = %q", got)
	}
	if n := eval[int](a, `document.querySelectorAll("#sessions-body > tr.highlight").length`); n != 1 {
		t.Errorf("%d highlighted rows, want 1", n)
	}
	a.audit("highlighted row")

	// Keyboard only from here on.
	a.tabTo(secure)
	a.keys(kb.Enter)
	dialog := "#confirm-dialog"
	a.waitFor("the dialog to open", `document.querySelector("`+dialog+`").open`)
	if got := a.text("#confirm-title"); got != "Secure your account" {
		t.Errorf("dialog heading = %q", got)
	}
	if got, want := a.text("#confirm-desc"), "This signs out "+bRow.Label+" and every other session except this one, and forgets that device. Then you can change your password."; got != want {
		t.Errorf("dialog body = %q, want %q", got, want)
	}
	if got := a.text(dialog + " button.danger"); got != "Secure my account" {
		t.Errorf("confirm button = %q", got)
	}
	a.audit("secure dialog")
	if eval[bool](a, `!!document.querySelector("`+dialog+` #reauth-password")`) {
		// Outside the re-authentication window the dialog asks for the password first.
		a.waitFor("focus in the password field", `document.activeElement && document.activeElement.id === "reauth-password"`)
		a.keys(password)
		a.keys(kb.Enter)
	} else {
		if !a.focusIs(dialog + " [data-close]") {
			t.Errorf("initial focus = %s, want Cancel", a.focused())
		}
		a.keys(kb.Tab)
		if !a.focusIs(dialog + " button.danger") {
			t.Fatalf("Tab from Cancel reached %s, want Confirm", a.focused())
		}
		a.keys(kb.Enter)
	}

	// The change-password form, focused, saying what was done and how many ended.
	a.waitFor("the page after securing", `location.pathname === "`+securityPath+`" && location.search.indexOf("done=secured") >= 0 && document.readyState === "complete"`)
	if got, want := a.text("#password-card .notice"), "Your account is secured: 1 session was signed out and your other devices were forgotten. If someone else may know your password, change it now below."; got != want {
		t.Errorf("password card says %q, want %q", got, want)
	}
	a.waitFor("focus in the current-password field", `document.activeElement && document.activeElement.id === "current-password"`)
	if got := eval[string](a, `document.activeElement.getAttribute("aria-describedby")`); got != "password-done" {
		t.Errorf("the focused field is described by %q, want the explanation (password-done)", got)
	}
	t.Logf("focus after securing: %s", a.focused())
	if rows := a.rows(); len(rows) != 1 || !rows[0].Current {
		t.Errorf("rows after securing = %+v, want only the current one", rows)
	}
	if eval[bool](a, `!!document.querySelector("`+notice+`")`) {
		t.Errorf("the notice is still shown: %q", a.text(notice))
	}
	a.audit("account secured")

	// B is signed out: its cookie is refused, and its open page went to sign-in.
	bAPI.call("GET", "/api/users/me/current-session", "", 401)
	b.waitFor("sign-in on B, live", `location.pathname === "/login" && document.readyState === "complete"`)
}
