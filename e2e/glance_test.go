package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/docodego/sessions/geo/geotest"
	"github.com/docodego/sessions/internal/testserver"
)

// apiSignIn signs in as a client without a browser would (a script, a phone app), from ip.
func apiSignIn(t *testing.T, srv *testserver.Server, ua, ip, email string) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/api/auth/sign-in/email",
		strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", ip)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("sign in as %q: %d", ua, res.StatusCode)
	}
}

// axNames is every accessible name in the page's accessibility tree (Chrome's own, over CDP).
func (d *device) axNames() []string {
	d.t.Helper()
	var tree accessibility.GetFullAXTreeResult
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		var err error
		tree, err = chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		return err
	}))
	var names []string
	for _, n := range tree.Nodes {
		if !n.Ignored && n.Name != nil {
			names = append(names, strings.Trim(string(n.Name.Value), `"`))
		}
	}
	return names
}

// Issue 27's acceptance: five new sign-ins, one a script from a country the account never
// used. In English and German, light and dark, at 1280 and 390 px: the script's row is
// flagged, second, its badges in the accessibility tree; the summary leaves the sessions
// heading above the fold; the first Revoke is at most 6 Tabs past the skip link; axe finds
// nothing; each state is saved to test-artifacts/screenshots/ (glance-*.png). Then the
// revoke, "This was me" on the row (keyboard, tap, without JavaScript), each audited.
func TestTheWorryingRowComesFirst(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TrustedProxies: []string{"127.0.0.1"}, Places: geotest.Open(t)})
	a := newDevice(t, "A (Chrome)", uaChrome)
	a.forwardedFor("85.214.132.117")
	a.signUp(srv, "Ada Glance", "glance@example.com")
	const email = "glance@example.com"
	apiSignIn(t, srv, "python-requests/2.32.3", "41.58.1.2", email) // the oldest of the five
	for _, ua := range []string{uaDesktop,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"} {
		apiSignIn(t, srv, ua, "85.214.132.117", email)
	}
	dir := screenshotDir(t)
	badges := map[string][]string{"en": {"Not a browser", "First sign-in from this country"}, "de": {"Kein Browser", "Erste Anmeldung aus diesem Land"}}
	for _, lang := range []string{"en", "de"} {
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{1280, 390} {
				state := fmt.Sprintf("glance-%s-%s-%d", lang, scheme, width)
				a.look(lang, scheme, width)
				a.open(srv.URL + securityPath)
				rows := a.rows()
				if len(rows) != 6 || !rows[0].Current || !strings.Contains(rows[1].Label, "Python") {
					t.Fatalf("%s: the script's row is not second: %+v", state, rows)
				}
				if !eval[bool](a, `document.getElementById("`+rows[1].ID+`").classList.contains("flagged")`) {
					t.Errorf("%s: the script's row is not flagged", state)
				}
				if !eval[bool](a, oneSecureOnFirstFlagged) {
					t.Errorf("%s: 'Not you?' is not once on the page, on the script's row", state)
				}
				if n := eval[int](a, `document.querySelectorAll("#sessions-body tr.flagged button[form=mine]").length`); n != 5 {
					t.Errorf("%s: %d flagged rows offer 'This was me', want all 5", state, n)
				}
				names := strings.Join(a.axNames(), "\n")
				for _, b := range badges[lang] {
					if !strings.Contains(names, b) {
						t.Errorf("%s: badge %q is not in the accessibility tree", state, b)
					}
				}
				if eval[bool](a, `!!document.querySelector("header #lang-select")`) {
					t.Errorf("%s: the language switcher is in the header", state)
				}
				// From the skip link (its Enter moves to <main>) to the first Revoke, at both widths.
				a.do(chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
				a.keys(kb.Tab)
				if !a.focusIs(".skip-link") {
					t.Fatalf("%s: the first Tab is not the skip link: %s", state, a.focused())
				}
				a.keys(kb.Enter)
				first := `#sessions-body form[action$="/revoke"] > button:first-child`
				presses := 0
				for ; presses < 7 && !a.focusIs(first); presses++ {
					a.keys(kb.Tab)
				}
				if presses > 6 {
					t.Errorf("%s: the first Revoke is more than 6 Tabs past the skip link (at %s)", state, a.focused())
				}
				t.Logf("%s: the first Revoke is %d Tabs past the skip link", state, presses)
				if width == 1280 {
					if top := eval[float64](a, `document.getElementById("sessions-heading").getBoundingClientRect().bottom`); top > 900 {
						t.Errorf("%s: the sessions heading ends at y=%.0f, below the fold", state, top)
					}
				} else {
					h := eval[[]float64](a, `Array.from(document.querySelectorAll("#sessions-body > tr:not(.flagged)")).map(function (r) { return r.getBoundingClientRect().height; })`)
					for _, px := range h {
						if px > 130 {
							t.Errorf("%s: a session is %.0f px tall on a phone, want ~120", state, px)
						}
					}
				}
				a.keep(dir, state, state)
			}
		}
	}
	// Review moves focus to the flagged row; the revoke question leads with place, last
	// activity and device; after the revoke, a visible confirmation and focus on the next
	// Revoke. Each state audited.
	a.look("en", "light", 1280)
	a.open(srv.URL + securityPath)
	script := a.rows()[1]
	a.do(chromedp.Click(`[data-review]`))
	a.waitFor("focus on the flagged row", `document.activeElement && document.activeElement.id === "`+script.ID+`"`)
	a.do(chromedp.Click(`#` + script.ID + ` form[action$="/revoke"] > button:first-child`))
	a.waitFor("the dialog", `document.getElementById("confirm-dialog").open`)
	if got := a.text("#confirm-dialog .facts dt"); got != "Place" {
		t.Errorf("the question leads with %q, not the place", got)
	}
	a.keep(dir, "glance-dialog", "glance: revoke question of the flagged row")
	a.do(chromedp.Click(`#confirm-dialog button.danger`))
	a.waitFor("the row to go", `!document.getElementById("`+script.ID+`")`)
	a.waitFor("the confirmation", `(document.getElementById("revoke-done") || {}).textContent === "Signed out Python Requests"`)
	a.waitFor("focus on the next Revoke", `document.activeElement === document.querySelector('#sessions-body form[action$="/revoke"] > button:first-child')`)
	a.keep(dir, "glance-after-revoke", "glance: after the revoke")
	// The revoked row held the page's one "Not you?": the next flagged row has it now.
	a.waitFor("'Not you?' on the first flagged row", oneSecureOnFirstFlagged)

	// "This was me" on the row itself, by keyboard: Tab from the row's Revoke (past "Not
	// you?") to it, Enter. The row comes back unflagged in its place, focus on its Revoke,
	// "Not you?" on the next flagged row; the live update then sorts the row among the
	// quiet ones (as a fresh page would), focus staying on its Revoke.
	id := eval[string](a, `document.querySelector("#sessions-body tr.flagged").id`)
	a.tabTo("#" + id + " button[form=mine]")
	a.keys(kb.Enter)
	a.waitFor("the row unflagged", `!document.getElementById("`+id+`").classList.contains("flagged") && !document.querySelector("#`+id+` button[form=mine]")`)
	onItsRevoke := `document.activeElement === document.querySelector("#` + id + ` form[action$='/revoke'] > button")`
	a.waitFor("focus on the row's Revoke", onItsRevoke)
	a.waitFor("'Not you?' handed on", oneSecureOnFirstFlagged)
	a.waitFor("the announcement", `document.getElementById("live").textContent.indexOf("Marked as yours") === 0`)
	a.waitFor("the row sorted after the flagged ones", `(function () {
		var rows = Array.from(document.querySelectorAll("#sessions-body > tr")), at = rows.indexOf(document.getElementById("`+id+`"));
		return rows.every(function (r, i) { return !r.classList.contains("flagged") || i < at; });
	})()`)
	if !eval[bool](a, onItsRevoke) {
		t.Errorf("the live update moved focus off the confirmed row's Revoke: %s", a.focused())
	}
	a.keep(dir, "glance-after-this-was-me", "glance: after This was me")

	// The same on a phone, in German, dark, with a tap.
	a.look("de", "dark", 390)
	a.open(srv.URL + securityPath)
	id = eval[string](a, `document.querySelector("#sessions-body tr.flagged").id`)
	if got := a.text("#" + id + " button[form=mine]"); got != "Das war ich" {
		t.Errorf("German 'This was me' reads %q", got)
	}
	a.do(chromedp.Click("#" + id + " button[form=mine]"))
	a.waitFor("the row unflagged", `!document.getElementById("`+id+`").classList.contains("flagged")`)
	a.waitFor("'Not you?' handed on", oneSecureOnFirstFlagged)
	a.keep(dir, "glance-de-dark-390-after-this-was-me", "glance: after This was me (de, dark, 390)")

	// Without JavaScript: the button posts the table's form; the page comes back at the row.
	a.look("en", "light", 1280)
	a.disableScript()
	a.open(srv.URL + securityPath)
	id = eval[string](a, `document.querySelector("#sessions-body tr.flagged").id`)
	a.submit("#" + id + " button[form=mine]")
	if loc := a.location(); !strings.HasSuffix(loc, securityPath+"#"+id) {
		t.Errorf("no-JS 'This was me' led to %s", loc)
	}
	if eval[bool](a, `document.getElementById("`+id+`").classList.contains("flagged")`) {
		t.Error("no-JS 'This was me' left the row flagged")
	}
	png := run(a, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, "glance-nojs-after-this-was-me.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// axe needs script: the same page, loaded again with it, is audited.
	a.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		return err
	}))
	a.open(srv.URL + securityPath + "#" + id)
	a.audit("glance: after This was me without JavaScript")
}

// look sets the reader's language (Chrome's user agent), colour scheme and window width.
func (d *device) look(lang, scheme string, width int64) {
	d.t.Helper()
	d.language(uaChrome, lang)
	d.colorScheme(scheme)
	d.do(chromedp.EmulateViewport(width, 900))
}

// keep audits the page as state (axe: 0 violations) and saves its screenshot as name.png.
func (d *device) keep(dir, name, state string) {
	d.t.Helper()
	d.audit(state)
	png := run(d, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		d.t.Fatal(err)
	}
}

// oneSecureOnFirstFlagged: the page's one "Not you? Secure your account" is on the first
// flagged row, or there is none and no row is flagged.
const oneSecureOnFirstFlagged = `(function () {
	var all = document.querySelectorAll('#sessions-body button[value="secure"]');
	var first = document.querySelector("#sessions-body tr.flagged");
	return first ? all.length === 1 && first.contains(all[0]) : all.length === 0;
})()`
