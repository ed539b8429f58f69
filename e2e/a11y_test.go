package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeFile is axe-core from e2e/node_modules (npm ci in e2e/, which .ci/run does). The
// tests inject it; the app never serves it.
const axeFile = "node_modules/axe-core/axe.min.js"

var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile(axeFile) })

// axeResult counts the rules that passed (so an empty run is caught) and lists violations.
type axeResult struct {
	Passes     int            `json:"passes"`
	Violations []axeViolation `json:"violations"`
}

// axeViolation is the part of an axe result worth printing.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// audit runs axe-core on the page as it is now and fails the test on any violation.
func (d *device) audit(state string) {
	d.t.Helper()
	src, err := axeSource()
	if err != nil {
		d.t.Fatalf("axe-core missing (run `npm ci` in e2e/, as .ci/run does): %v", err)
	}
	if !eval[bool](d, `typeof axe === "object"`) {
		d.do(chromedp.Evaluate[chromedp.Void](string(src)))
	}
	res := run(d, chromedp.Evaluate[axeResult](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return {passes: r.passes.length, violations: r.violations.map(function (v) {
			return {id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(function (n) {
				return n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ");
			})};
		})};
	})`, chromedp.EvalAwaitPromise))
	if res.Passes == 0 {
		d.t.Errorf("%s: axe checked nothing at %q", d.name, state)
	}
	for _, v := range res.Violations {
		d.t.Errorf("%s: axe %s (%s) at %q: %s\n\t%s", d.name, v.ID, v.Impact, state, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// screenshotDir is where the screenshots go; test-artifacts/ is ignored by git.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshots saves the page at desktop (1280) and phone (375) width, then goes back to
// desktop. At phone width it also checks that nothing scrolls sideways.
func (d *device) screenshots(name string) {
	d.t.Helper()
	dir := screenshotDir(d.t)
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 375, 812}} {
		d.do(chromedp.EmulateViewport(size.width, size.height))
		if size.width < 600 {
			if w := eval[int](d, `document.documentElement.scrollWidth`); w > int(size.width) {
				d.t.Errorf("%s: %s is %d px wide at %d px: it scrolls sideways", d.name, name, w, size.width)
			}
		}
		png := run(d, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.name+".png"), png, 0o644); err != nil {
			d.t.Fatal(err)
		}
	}
	d.do(chromedp.EmulateViewport(1280, 900))
}

// TestAccessibility runs axe-core at each state of the flow (sign-up, sign-in, security
// page, modal open, after revoke, revoked notice) in the light and the dark scheme and in
// every language, and saves screenshots of the English states at desktop and phone width.
func TestAccessibility(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (Chrome)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	for _, round := range []struct {
		scheme, lang string
		shots        bool
	}{
		{"light", "en", true}, {"dark", "en", true},
		{"light", "de", false}, {"dark", "fr", false}, {"light", "es", false},
	} {
		name := round.scheme + "-" + round.lang
		a.colorScheme(round.scheme)
		b.colorScheme(round.scheme)
		a.language(uaChrome, round.lang)
		b.language(uaDesktop, round.lang)
		check := func(d *device, state string) {
			t.Helper()
			if lang := eval[string](d, `document.documentElement.lang`); lang != round.lang {
				t.Errorf("%s: <html lang=%q> at %s, want %q", d.name, lang, state, round.lang)
			}
			d.audit(name + " " + state)
			if round.shots {
				d.screenshots(round.scheme + "-" + state)
			}
		}
		email := name + "@example.com"

		a.open(srv.URL + "/signup")
		check(a, "signup")
		a.signUp(srv, "Ada "+name, email)
		b.open(srv.URL + "/login")
		check(b, "sign-in")
		b.signIn(srv, email)

		a.open(srv.URL + securityPath)
		check(a, "security")
		bRow := a.rowLabelled("DoCodeGo Desktop")
		dialog := "#confirm-dialog"
		a.do(chromedp.Click(chromedp.CSS("#" + bRow.ID + " button")))
		a.waitFor("the dialog", `document.querySelector("`+dialog+`").open`)
		check(a, "modal-open")
		a.do(chromedp.Click(chromedp.CSS(dialog + " button.danger")))
		a.waitFor("the row to go", `!document.getElementById("`+bRow.ID+`")`)
		a.waitFor("the announcement", `document.getElementById("live").textContent.trim() !== ""`)
		check(a, "after-revoke")

		// B's open page went to sign-in by itself (the live stream).
		b.waitFor("the revoked notice", `location.search === "?ended=revoked" && !!document.querySelector(".notice")`)
		check(b, "revoked-notice")

		// Sign A out so the next round starts from the sign-up page.
		a.submit(`form[action="/logout"] button[type="submit"]`)
	}
}

// TestPhoneLayout: at 375 px the table's rows become a compact stacked list.
func TestPhoneLayout(t *testing.T) {
	srv := start(t)
	a := newDevice(t, "A (phone)", uaChrome)
	b := newDevice(t, "B (desktop app)", uaDesktop)
	a.signUp(srv, "Ada Phone", "phone@example.com")
	b.signIn(srv, "phone@example.com")
	a.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	a.open(srv.URL + securityPath)
	if w := eval[int](a, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the page is %d px wide at 375 px", w)
	}
	if disp := eval[string](a, `getComputedStyle(document.querySelector("#sessions-body > tr")).display`); disp != "block" {
		t.Errorf("rows display as %q at 375 px, want stacked blocks", disp)
	}
	if h := eval[float64](a, `document.querySelector("#sessions-body > tr.current").getBoundingClientRect().height`); h > 130 {
		t.Errorf("the current session is %.0f px tall at 375 px, want ~120 at most", h)
	}
	// A table caption keeps shrinking to its own column unless it is a block too.
	if w := eval[int](a, `document.querySelector("#sessions-table caption").getBoundingClientRect().width`); w < 250 {
		t.Errorf("the caption is squeezed to %d px at 375 px", w)
	}
	a.audit("phone security page")
}
