package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/docodego/sessions/internal/testserver"
)

// TestTwoDevicesKeyboardRevoke covers scenarios 1-3: A signs up, B (the desktop app)
// signs in, A revokes B with the keyboard only, and B's next navigation and next htmx
// request both land on the sign-in page with the reason.
func TestTwoDevicesKeyboardRevoke(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)

	// 1. Two rows on A's page; B's reads "DoCodeGo Desktop".
	a.signUp(srv, "Ada Lovelace", "ada@example.com")
	b.signIn(srv, "ada@example.com")
	bCookies := b.cookies(srv.URL)
	a.open(srv.URL + securityPath)
	if rows := a.rows(); len(rows) != 2 {
		t.Fatalf("A sees %d rows, want 2: %+v", len(rows), rows)
	}
	bRow := a.rowLabelled("DoCodeGo Desktop")
	if got := a.text("#session-count"); got != "2 active sessions" {
		t.Errorf("count = %q", got)
	}
	// The table's structure, and a "Current" badge in words, not colour only.
	if got := a.text("#sessions-table caption"); got == "" {
		t.Error("the table has no caption")
	}
	if n := eval[int](a, `document.querySelectorAll("#sessions-table thead th[scope=col]").length`); n != 2 {
		t.Errorf("%d column headers, want 2 (session, actions)", n)
	}
	if n := eval[int](a, `document.querySelectorAll("#sessions-body > tr > th[scope=row]").length`); n != 2 {
		t.Errorf("%d row headers, want 2", n)
	}
	if got := a.text(".current .badge"); got != "Current" {
		t.Errorf("current badge = %q", got)
	}

	// 2. Keyboard only: no mouse event is sent from here on.
	revoke := "#" + bRow.ID + " button"
	dialog := "#confirm-dialog" // the page's one dialog: Revoke fetches its question into it
	a.do(chromedp.Evaluate[chromedp.Void](`window.e2eSamePage = true`))
	a.tabTo(revoke)
	if name := eval[string](a, `document.activeElement.getAttribute("aria-label")`); name != "Revoke "+bRow.Label {
		t.Errorf("Revoke's accessible name = %q, want %q", name, "Revoke "+bRow.Label)
	}
	a.keys(kb.Enter)
	a.waitFor("the dialog to open", `document.querySelector("`+dialog+`").open`)
	// A native modal <dialog>, labelled by its heading.
	if !eval[bool](a, `document.querySelector("`+dialog+`").matches("dialog:modal")`) {
		t.Error("the dialog is not modal (showModal)")
	}
	if label := eval[string](a, `(function () {
		var d = document.querySelector("`+dialog+`");
		var h = document.getElementById(d.getAttribute("aria-labelledby"));
		return h && d.contains(h) && /^H[1-6]$/.test(h.tagName) ? h.textContent.trim() : "";
	})()`); label != "Revoke "+bRow.Label+"?" {
		t.Errorf("dialog label = %q, want its heading %q", label, "Revoke "+bRow.Label+"?")
	}
	if !eval[bool](a, `document.querySelector("`+dialog+`").contains(document.activeElement)`) {
		t.Errorf("focus is not inside the dialog: %s", a.focused())
	}
	if !a.focusIs(dialog + " [data-close]") {
		t.Errorf("initial focus = %s, want Cancel", a.focused())
	}
	a.keys(kb.Escape)
	a.waitFor("the dialog to close", `!document.querySelector("`+dialog+`").open`)
	if !a.focusIs(revoke) {
		t.Errorf("after Escape focus = %s, want B's Revoke", a.focused())
	}
	a.keys(kb.Enter)
	a.waitFor("the dialog to open again", `document.querySelector("`+dialog+`").open`)
	a.keys(kb.Tab)
	if !a.focusIs(dialog + " button.danger") {
		t.Fatalf("Tab from Cancel reached %s, want Confirm", a.focused())
	}
	a.keys(kb.Enter)
	a.waitFor("B's row to go", `!document.getElementById("`+bRow.ID+`")`)
	if !eval[bool](a, `window.e2eSamePage === true`) {
		t.Error("the revoke reloaded the page")
	}
	a.waitFor("the live region to announce", `document.getElementById("live").textContent.indexOf("Signed out ") >= 0`)
	if live := a.text("#live"); !strings.Contains(live, "DoCodeGo Desktop") {
		t.Errorf("live region = %q, want it to name the device", live)
	}
	if f := a.focused(); f == "body" {
		t.Error("focus fell back to <body> after the revoke")
	} else {
		t.Logf("focus after revoke: %s", f)
	}
	if rows := a.rows(); len(rows) != 1 || !rows[0].Current {
		t.Errorf("rows after revoke = %+v, want only the current one", rows)
	}
	if got := a.text("#session-count"); got != "1 active session" {
		t.Errorf("count after revoke = %q", got)
	}

	// 3. B, revoked: its open page and its next navigation.
	revokedDeviceEnds(t, srv, b, bCookies)
	a.open(srv.URL + securityPath)
	if rows := a.rows(); len(rows) != 1 {
		t.Errorf("A's rows after B's attempt = %+v", rows)
	}
}

// revokedDeviceEnds checks that a revoked device's open page lands on sign-in with "ended
// from another device" by itself (the live stream), and that its next navigation with the
// cookie it had (the stream's answer cleared it) lands there too.
func revokedDeviceEnds(t *testing.T, srv *testserver.Server, b *device, cookies []*network.CookieParam) {
	t.Helper()
	// 3a. B's open page, with no input on B.
	b.waitFor("the sign-in page on B, live", `location.pathname === "/login" && document.readyState === "complete"`)
	assertEndedNotice(t, b)

	// 3b. B's next navigation, with the cookie it had.
	b.setCookies(cookies)
	b.open(srv.URL + securityPath)
	b.waitFor("the sign-in page after B's navigation", `location.pathname === "/login"`)
	assertEndedNotice(t, b)
}

func assertEndedNotice(t *testing.T, d *device) {
	t.Helper()
	if loc := d.location(); !strings.HasSuffix(loc, "/login?ended=revoked") {
		t.Errorf("%s landed on %s, want /login?ended=revoked", d.name, loc)
	}
	if n := d.text(".notice"); !strings.Contains(n, "ended from another device") {
		t.Errorf("%s: notice = %q", d.name, n)
	}
}

// TestRevokeAllOthers is scenario 4: three devices, "Revoke all other sessions" leaves
// only the current row and the button goes away.
func TestRevokeAllOthers(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	c := newDevice(t, "C (Firefox)", uaFirefox)
	a.signUp(srv, "Grace Hopper", "grace@example.com")
	b.signIn(srv, "grace@example.com")
	c.signIn(srv, "grace@example.com")
	a.open(srv.URL + securityPath)
	if rows := a.rows(); len(rows) != 3 {
		t.Fatalf("A sees %d rows, want 3: %+v", len(rows), rows)
	}
	a.do(chromedp.Click(chromedp.CSS("#revoke-others [data-dialog]")))
	a.waitFor("the dialog", `document.getElementById("confirm-dialog").open`)
	if got := a.text("#confirm-title"); got != "Revoke all other sessions?" {
		t.Errorf("dialog heading = %q", got)
	}
	if !a.focusIs("#confirm-dialog [data-close]") {
		t.Errorf("initial focus = %s, want Cancel", a.focused())
	}
	a.do(chromedp.Click(chromedp.CSS("#confirm-dialog button.danger")))
	a.waitFor("one row left", `document.querySelectorAll("#sessions-body > tr").length === 1`)
	if rows := a.rows(); !rows[0].Current {
		t.Errorf("the row left is not the current one: %+v", rows)
	}
	if eval[bool](a, `!!document.getElementById("revoke-others")`) {
		t.Error(`"Revoke all other sessions" is still there`)
	}
	a.waitFor("the announcement", `document.getElementById("live").textContent.indexOf("2 other sessions revoked") >= 0`)
	if f := a.focused(); f == "body" {
		t.Error("focus fell back to <body>")
	}
	for _, d := range []*device{b, c} { // their open pages went to sign-in by themselves
		d.waitFor("sign-in, live", `location.pathname === "/login" && document.readyState === "complete"`)
		assertEndedNotice(t, d)
	}
}

// TestWithoutJavaScript is scenario 5: the same flows through plain forms and pages.
func TestWithoutJavaScript(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (no JavaScript)", uaChrome)
	a.disableScript()
	b := newDevice(t, "B (desktop app)", uaDesktop)
	c := newDevice(t, "C (Firefox)", uaFirefox)

	a.signUp(srv, "Alan Turing", "alan@example.com")
	b.signIn(srv, "alan@example.com")
	c.signIn(srv, "alan@example.com")
	a.open(srv.URL + securityPath)
	if eval[bool](a, `typeof htmx !== "undefined"`) {
		t.Fatal("JavaScript still runs on A")
	}
	bRow := a.rowLabelled("DoCodeGo Desktop")

	// One device: the Revoke button leads to a confirmation page, then back.
	a.submit("#" + bRow.ID + " button")
	if loc := a.location(); !strings.Contains(loc, "/sessions/"+strings.TrimPrefix(bRow.ID, "session-")+"/revoke") {
		t.Fatalf("Revoke without JavaScript went to %s", loc)
	}
	if h := a.text("h1"); !strings.Contains(h, "DoCodeGo Desktop") {
		t.Errorf("confirm page heading = %q", h)
	}
	a.submit(`form[action$="/revoke"] button[type="submit"]`)
	if loc := a.location(); !strings.HasSuffix(loc, securityPath+"?done=revoked") {
		t.Errorf("after confirming: %s", loc)
	}
	if n := a.text(".notice"); !strings.Contains(n, "Session revoked") {
		t.Errorf("notice = %q", n)
	}
	if rows := a.rows(); len(rows) != 2 {
		t.Errorf("rows = %+v, want 2", rows)
	}

	// All others.
	a.submit("#revoke-others [data-dialog]")
	a.submit(`form[action$="/revoke-others"] button[type="submit"]`)
	if n := a.text(".notice"); !strings.Contains(n, "All other sessions were revoked") {
		t.Errorf("notice = %q", n)
	}
	if rows := a.rows(); len(rows) != 1 || !rows[0].Current {
		t.Errorf("rows = %+v, want only the current one", rows)
	}
	if eval[bool](a, `!!document.getElementById("revoke-others")`) {
		t.Error(`"Revoke all other sessions" is still there`)
	}
	for _, d := range []*device{b, c} { // their open pages went to sign-in by themselves
		d.waitFor("sign-in, live", `location.pathname === "/login" && document.readyState === "complete"`)
		assertEndedNotice(t, d)
	}
}

// TestErrorsInDialog: a refused request (403) and a network failure (server stopped) each
// show their words inside the dialog, the row stays, nothing announces success, and
// Confirm keeps focus so pressing it again retries; the retry after the 403 succeeds.
func TestErrorsInDialog(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	c := newDevice(t, "C (Firefox)", uaFirefox)
	a.signUp(srv, "Edsger Dijkstra", "edsger@example.com")
	b.signIn(srv, "edsger@example.com")
	c.signIn(srv, "edsger@example.com")
	a.open(srv.URL + securityPath)

	// The server answers with an error: a stale CSRF token gets 403.
	bRow := a.rowLabelled("DoCodeGo Desktop")
	dialog := "#confirm-dialog"
	a.do(chromedp.Click(chromedp.CSS("#" + bRow.ID + " button")))
	a.waitFor("the dialog", `document.querySelector("`+dialog+`").open`)
	a.allow("status of 403") // Chromium logs every 4xx answer
	a.do(chromedp.Evaluate[chromedp.Void](`(function () {
		var m = document.querySelector('meta[name="csrf-token"]');
		window.e2eToken = m.content; m.content = "stale";
	})()`))
	a.keys(kb.Tab) // Cancel -> Confirm
	a.keys(kb.Enter)
	assertFailedInDialog(t, a, dialog, bRow.ID, "")
	a.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('meta[name="csrf-token"]').content = window.e2eToken`))
	a.keys(kb.Enter) // the retry, from where focus was left
	a.waitFor("B's row to go after the retry", `!document.getElementById("`+bRow.ID+`")`)
	a.waitFor("the announcement", `document.getElementById("live").textContent.indexOf("Signed out ") >= 0`)

	// No answer at all: the server is gone.
	cRow := a.rowLabelled("Firefox")
	a.do(chromedp.Click(chromedp.CSS("#" + cRow.ID + " button")))
	a.waitFor("the dialog", `document.querySelector("`+dialog+`").open`)
	a.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("live").textContent = ""`))
	// Expected with the server gone: Chromium logs the refused connection, and htmx 4
	// always logs its htmx:error event with console.error.
	for _, d := range []*device{a, b, c} {
		d.allow("ERR_CONNECTION_REFUSED")
		d.allow("htmx:error: Failed to fetch")
		d.allow("htmx:sse:error: Failed to fetch")      // the pages' streams reconnecting
		d.allow("SSE reconnect failed with status 503") // to the instance shutting down
		d.allow("status of 503")
	}
	srv.Stop()
	a.do(chromedp.Click(chromedp.CSS(dialog + " button.danger")))
	assertFailedInDialog(t, a, dialog, cRow.ID, "couldn't reach the server")
}

// assertFailedInDialog checks the state after a failed revoke: error words in the open
// dialog, the row still there, no success announced, Confirm enabled and focused.
func assertFailedInDialog(t *testing.T, a *device, dialog, rowID, want string) {
	t.Helper()
	a.waitFor("the inline error", `!document.querySelector("`+dialog+` .dialog-error").hidden`)
	msg := a.text(dialog + " .dialog-error")
	if msg == "" || !strings.Contains(msg, want) {
		t.Errorf("dialog error = %q, want %q", msg, want)
	}
	if !eval[bool](a, `document.querySelector("`+dialog+`").open`) {
		t.Error("the dialog closed although the revoke failed")
	}
	if !eval[bool](a, `!!document.getElementById("`+rowID+`")`) {
		t.Error("the row disappeared although the revoke failed")
	}
	if live := a.text("#live"); live != "" {
		t.Errorf("the live region says %q after a failure", live)
	}
	if eval[bool](a, `document.querySelector("`+dialog+` button.danger").disabled`) {
		t.Error("Confirm stays disabled: no way to retry")
	}
	a.waitFor("focus back on Confirm (the retry)", `document.activeElement === document.querySelector("`+dialog+` button.danger")`)
}

// TestCSPWatcher proves the CSP check can fail: an inline script is reported.
func TestCSPWatcher(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A", uaChrome)
	a.open(srv.URL + "/login")
	a.do(chromedp.Evaluate[chromedp.Void](`(function () {
		var s = document.createElement("script"); s.textContent = "window.x = 1"; document.body.append(s);
	})()`))
	var got []string
	for range 200 {
		got = append(got, a.takeProblems()...)
		if strings.Contains(strings.Join(got, "\n"), "CSP violation: script-src") {
			break
		}
		a.do(chromedp.Sleep(25 * time.Millisecond))
	}
	if !strings.Contains(strings.Join(got, "\n"), "CSP violation: script-src") {
		t.Errorf("an inline script was not reported; got %q", got)
	}
	a.allow("") // the console's own report of the same violation may still arrive
}
