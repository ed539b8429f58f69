package webkit_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docodego/sessions/internal/testserver"
)

const (
	email    = "ada@example.com"
	password = "correct horse battery staple"
	phoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// TestDesktopAppSessions is the desktop app's life on the security page, in its own engine:
// sign in, see itself as "DoCodeGo Desktop" (Current), revoke another device with the
// modal, and be signed out live (no input) when another device revokes it.
func TestDesktopAppSessions(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s", srv.Logs())
		}
	})
	// The account exists already; its sign-up session is ended so the table starts empty.
	setup := newHTTPDevice(t, srv.URL, "setup")
	setup.must(http.StatusOK, http.MethodPost, "/api/auth/sign-up/email",
		map[string]string{"name": "Ada", "email": email, "password": password})
	setup.must(http.StatusOK, http.MethodPost, "/api/auth/sign-out", nil)

	desk := newPage(t, srv.URL, "--user-agent="+desktopUA())
	signInDesktop(t, desk)

	phone := newHTTPDevice(t, srv.URL, phoneUA)
	phone.must(http.StatusOK, http.MethodPost, "/api/auth/sign-in/email",
		map[string]string{"email": email, "password": password})
	revokeWithModal(t, desk, phone.currentSessionID())
	if status, body := phone.call(http.MethodGet, "/api/auth/sessions/", nil); status != http.StatusUnauthorized || body["error"] != "session_revoked" {
		t.Errorf("revoked phone: status %d %v, want 401 session_revoked", status, body)
	}

	// The phone signs in again and ends the desktop session.
	phone = newHTTPDevice(t, srv.URL, phoneUA)
	phone.must(http.StatusOK, http.MethodPost, "/api/auth/sign-in/email",
		map[string]string{"email": email, "password": password})
	deskID := strings.TrimPrefix(desk.attr("#sessions-body tr.current", "id"), "session-")
	phone.must(http.StatusNoContent, http.MethodDelete, "/api/auth/sessions/"+deskID+"/", nil)
	endedFromAnotherDevice(t, desk)

	// Once more, when the desktop's next request is an htmx one from a page left open
	// without a stream (refused past a limit, say): removing the element ends it.
	signInDesktopAgain(t, desk)
	desk.reload()
	var gone bool
	desk.eval(&gone, `document.getElementById("live-stream").remove(); return true`)
	deskID = strings.TrimPrefix(desk.attr("#sessions-body tr.current", "id"), "session-")
	phone.must(http.StatusNoContent, http.MethodDelete, "/api/auth/sessions/"+deskID+"/", nil)
	endedDuringHTMX(t, desk, phone.currentSessionID())
	phone.currentSessionID() // the revoked desktop's request ended nothing

	if logs := srv.Logs(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("the app logged errors:\n%s", logs)
	}
}

// signInDesktop signs in through the real form and checks the desktop row.
func signInDesktop(t *testing.T, p *page) {
	t.Helper()
	p.open("/login")
	var ua string
	p.eval(&ua, "return navigator.userAgent")
	if ua != desktopUA() {
		t.Fatalf("webview user agent %q, want %q", ua, desktopUA())
	}
	p.snap("login")
	p.typeInto("#email", email)
	p.typeInto("#password", password)
	p.noErrors("sign-in form")
	p.click("form[action='/login'] button[type=submit]")
	p.loaded("/app/settings/security")

	rows := p.count("#sessions-body tr")
	label := p.text("#sessions-body tr.current th > span")
	badge := p.text("#sessions-body tr.current .badge")
	if rows != 1 || !strings.HasPrefix(label, "DoCodeGo Desktop") || badge != "Current" {
		t.Fatalf("after sign-in: %d rows, current row %q with badge %q; want 1 row, DoCodeGo Desktop, Current", rows, label, badge)
	}
	if label != "DoCodeGo Desktop on Linux" {
		t.Errorf("desktop label %q, want %q", label, "DoCodeGo Desktop on Linux")
	}
	p.noErrors("security page")
	p.snap("security")
}

// revokeWithModal opens the row's dialog (click), closes it with Escape, reopens it with
// Enter and confirms; the row must go without a page load.
func revokeWithModal(t *testing.T, p *page, otherID string) {
	t.Helper()
	p.reload()
	row := "#session-" + otherID
	if n := p.count(row); n != 1 {
		t.Fatalf("after reload: %d rows for the second device, want 1", n)
	}
	if label := p.text(row + " th > span"); label != "Safari on iPhone" {
		t.Errorf("second device label %q, want %q", label, "Safari on iPhone")
	}
	p.snap("two-sessions")
	var ok bool
	p.eval(&ok, "window.__marker = 'no navigation'; return true")

	dialog := "#confirm-dialog" // the page's one dialog: Revoke fetches its question into it
	opener := row + " button"
	p.click(opener)
	p.waitFor("dialog open after click", "return document.querySelector(arguments[0]).open", dialog)
	if !p.focused(dialog + " [data-close]") {
		t.Errorf("focus is not on Cancel when the dialog opens")
	}
	p.snap("dialog")
	p.press(keyEscape)
	p.waitFor("dialog closed by Escape", "return !document.querySelector(arguments[0]).open", dialog)
	if !p.focused(opener) {
		t.Errorf("focus did not return to the Revoke button after Escape")
	}

	p.press(keyEnter) // focus is on the Revoke button
	p.waitFor("dialog open after Enter", "return document.querySelector(arguments[0]).open", dialog)
	p.press(keyTab)
	if !p.focused(dialog + " button.danger") {
		t.Fatalf("Tab from Cancel did not reach the confirm button")
	}
	p.press(keyEnter)
	p.waitFor("row removed", "return document.querySelector(arguments[0]) === null", row)

	var marker string
	p.eval(&marker, "return window.__marker || ''")
	if marker != "no navigation" {
		t.Errorf("the page reloaded instead of updating in place")
	}
	if n := p.count("#sessions-body tr"); n != 1 {
		t.Errorf("after revoke: %d rows, want 1", n)
	}
	if got := p.text("#session-count"); got != "1 active session" {
		t.Errorf("count reads %q, want %q", got, "1 active session")
	}
	p.waitFor("announcement", "return document.getElementById('live').textContent.indexOf('Signed out ') >= 0")
	// No other Revoke button is left, so focus goes to the section heading, not <body>.
	p.waitFor("focus on the heading after the swap",
		"return document.activeElement === document.getElementById('sessions-heading')")
	if p.count("dialog[open]") != 0 {
		t.Errorf("a dialog is still open after the revoke")
	}
	p.noErrors("revoke with the modal")
	p.snap("revoked")
}

// endedFromAnotherDevice: the desktop's next request lands on sign-in, told why.
func endedFromAnotherDevice(t *testing.T, p *page) {
	t.Helper()
	// No input on the desktop: its open page hears of it on its stream.
	p.loaded("/login")
	if u := p.currentURL(); !strings.HasSuffix(u, "/login?ended=revoked") {
		t.Errorf("landed on %s, want /login?ended=revoked", u)
	}
	if got := p.text(".notice"); !strings.Contains(got, "ended from another device") {
		t.Errorf("sign-in notice %q, want the ended-from-another-device message", got)
	}
	p.noErrors("sign-in after revocation")
	p.snap("ended")
}

// signInDesktopAgain signs in from the sign-in page the desktop was sent to.
func signInDesktopAgain(t *testing.T, p *page) {
	t.Helper()
	p.typeInto("#email", email)
	p.typeInto("#password", password)
	p.click("form[action='/login'] button[type=submit]")
	p.loaded("/app/settings/security")
	if got := p.text("#sessions-body tr.current th > span"); got != "DoCodeGo Desktop on Linux" {
		t.Fatalf("signed in again: current row %q", got)
	}
}

// endedDuringHTMX: the revoked desktop asks to revoke a session in a page it still shows
// (htmx fetches the question); htmx follows HX-Redirect to sign-in with the same message,
// and nothing is revoked.
func endedDuringHTMX(t *testing.T, p *page, otherID string) {
	t.Helper()
	p.click("#session-" + otherID + " button")
	p.loaded("/login")
	if u := p.currentURL(); !strings.HasSuffix(u, "/login?ended=revoked") {
		t.Errorf("htmx request: landed on %s, want /login?ended=revoked", u)
	}
	if got := p.text(".notice"); !strings.Contains(got, "ended from another device") {
		t.Errorf("htmx request: sign-in notice %q", got)
	}
	p.noErrors("sign-in after an htmx request")
	p.snap("ended-htmx")
}
