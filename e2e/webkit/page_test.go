package webkit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// errorHook collects, from the moment it is injected, uncaught errors (and resources that
// failed to load), unhandled promise rejections, console.error calls and CSP violations.
// WebDriver classic cannot add a script before the page's own, so it is injected as soon as
// each page has loaded; that htmx and app.js loaded at all is asserted separately.
const errorHook = `
if (!window.__wkErrors) {
  var errs = window.__wkErrors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) { errs.push("failed to load " + (t.src || t.href)); return; }
    errs.push("error: " + e.message + " at " + (e.filename || "?") + ":" + e.lineno);
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errs.push("unhandledrejection: " + String(e.reason)); });
  document.addEventListener("securitypolicyviolation", function (e) { errs.push("CSP: " + e.violatedDirective + " " + e.blockedURI); });
  var orig = console.error;
  console.error = function () {
    errs.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return orig.apply(console, arguments);
  };
}
return true;`

// page wraps a session with the app's address and the suite's screenshot folder.
type page struct {
	*session
	base string
	shot string // folder for screenshots
}

func newPage(t *testing.T, base string, browserArgs ...string) *page {
	dir := filepath.Join("..", "..", "test-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &page{session: wd.newSession(t, browserArgs...), base: base, shot: dir}
}

// open navigates to path and arms the error hook.
func (p *page) open(path string) {
	p.t.Helper()
	p.navigate(p.base + path)
	p.loaded(path)
}

// reload loads the page shown again and waits for the new document. The old one still
// answers "complete" until it is replaced, and WebKitGTK's refresh may return before that,
// so the old document is marked and the wait is for a document without the mark.
func (p *page) reload() {
	p.t.Helper()
	var path string
	p.eval(&path, `window.__oldDocument = true; return location.pathname`)
	p.refresh()
	p.waitFor("a new document after reload", `return !window.__oldDocument`)
	p.loaded(path)
}

// loaded waits until the page at path (no query) has loaded with htmx, then arms the hook.
func (p *page) loaded(path string) {
	p.t.Helper()
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	p.waitFor("page "+path+" loaded with htmx",
		`return location.pathname === arguments[0] && document.readyState === "complete" && typeof window.htmx === "object"`, path)
	var ok bool
	p.eval(&ok, errorHook)
}

// noErrors fails the test if the page reported any JavaScript error since it loaded.
func (p *page) noErrors(stage string) {
	p.t.Helper()
	var errs []string
	p.eval(&errs, `return window.__wkErrors || ["error hook missing: the page navigated"]`)
	if len(errs) > 0 {
		p.t.Errorf("%s: JavaScript errors in WebKitGTK:\n%s", stage, strings.Join(errs, "\n"))
	}
}

// text is the trimmed textContent of the first element matching css ("" if none).
func (p *page) text(css string) string {
	p.t.Helper()
	var s string
	p.eval(&s, `var el = document.querySelector(arguments[0]); return el ? el.textContent.replace(/\s+/g, " ").trim() : ""`, css)
	return s
}

// attr is an attribute of the first element matching css ("" if none).
func (p *page) attr(css, name string) string {
	p.t.Helper()
	var s string
	p.eval(&s, `var el = document.querySelector(arguments[0]); return (el && el.getAttribute(arguments[1])) || ""`, css, name)
	return s
}

// count is how many elements match css.
func (p *page) count(css string) int {
	p.t.Helper()
	var n int
	p.eval(&n, `return document.querySelectorAll(arguments[0]).length`, css)
	return n
}

// focused reports whether the element matching css has focus.
func (p *page) focused(css string) bool {
	p.t.Helper()
	var ok bool
	p.eval(&ok, `return document.activeElement === document.querySelector(arguments[0])`, css)
	return ok
}

// snap saves a screenshot as webkit-<name>.png.
func (p *page) snap(name string) {
	p.t.Helper()
	p.screenshot(filepath.Join(p.shot, "webkit-"+name+".png"))
}
