package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/docodego/sessions/internal/testserver"
)

const (
	securityPath = "/app/settings/security"
	password     = "correct horse battery staple"
)

// start runs the app on a fresh database.
func start(t *testing.T) *testserver.Server {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app log:\n%s", srv.Logs())
		}
	})
	return srv
}

// signUp creates the account through the sign-up form and lands on the security page.
func (d *device) signUp(srv *testserver.Server, name, email string) {
	d.t.Helper()
	d.open(srv.URL + "/signup")
	d.do(
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	d.submit(`form[action="/signup"] button[type="submit"]`)
	d.waitFor("the security page after sign-up", `location.pathname === "`+securityPath+`"`)
}

// signIn uses the sign-in form and lands on the security page.
func (d *device) signIn(srv *testserver.Server, email string) {
	d.t.Helper()
	d.open(srv.URL + "/login")
	d.do(
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	d.submit(`form[action="/login"] button[type="submit"]`)
	d.waitFor("the security page after sign-in", `location.pathname === "`+securityPath+`"`)
}

// row is one line of the sessions table as the page shows it.
type row struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Current bool   `json:"current"`
}

// rows reads the sessions table.
func (d *device) rows() []row {
	d.t.Helper()
	return eval[[]row](d, `Array.from(document.querySelectorAll("#sessions-body > tr")).map(function (tr) {
		return {id: tr.id, label: tr.querySelector("th > span").textContent.trim(), current: tr.classList.contains("current")};
	})`)
}

// rowLabelled returns the non-current row whose label contains label.
func (d *device) rowLabelled(label string) row {
	d.t.Helper()
	for _, r := range d.rows() {
		if strings.Contains(r.Label, label) && !r.Current {
			return r
		}
	}
	d.t.Fatalf("%s: no row labelled %q in %+v", d.name, label, d.rows())
	return row{}
}

// focused describes document.activeElement ("body", "button#x.cls 'Revoke'").
func (d *device) focused() string {
	d.t.Helper()
	return eval[string](d, `(function () {
		var e = document.activeElement;
		if (!e || e === document.body) return "body";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " '" + (e.getAttribute("aria-label") || e.textContent.replace(/\s+/g, " ").trim()) + "'";
	})()`)
}

// focusIs reports whether the active element is the first match of sel.
func (d *device) focusIs(sel string) bool {
	d.t.Helper()
	return eval[bool](d, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel))
}

// tabTo presses Tab until sel has focus (at most 40 times), like a keyboard user.
func (d *device) tabTo(sel string) {
	d.t.Helper()
	for range 40 {
		if d.focusIs(sel) {
			return
		}
		d.keys(kb.Tab)
	}
	d.t.Fatalf("%s: Tab never reached %s; focus is on %s", d.name, sel, d.focused())
}
