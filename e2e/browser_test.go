// Package e2e_test drives the real app in headless Chromium: two or three browser
// contexts act as separate devices, keys are real key events, and every page is checked
// for console errors, CSP violations and axe-core accessibility violations.
package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/docodego/sessions/db/dbtest"
)

// User agents of the devices. Desktop is what the DoCodeGo desktop app (Tauri on
// WebKitGTK) sends; Chrome is an ordinary browser, so rows get readable labels.
const (
	uaChrome  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	uaDesktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) DoCodeGo/1.4.0 Tauri/2.1.1"
	uaFirefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0"
)

// stepTimeout bounds every browser step, so a broken page fails fast instead of hanging.
const stepTimeout = 15 * time.Second

// browser is the one Chromium process every test shares; each device is a separate
// browser context (its own cookies) in it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	if browser.cancel != nil {
		browser.cancel()
		_ = os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// chromiumPath is Debian's Chromium; .ci/run installs it when it is missing.
func chromiumPath() (string, error) {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("chromium not found: run .ci/run (apt-get install -y chromium) or set CHROMIUM")
}

// startBrowser launches Chromium once per test binary.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			browser.err = err
			return
		}
		browser.dir, err = os.MkdirTemp("", "e2e-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.UserDataDir(browser.dir),
			chromedp.NoSandbox, // CI runs as root
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.WindowSize(1280, 900),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc() }
		browser.err = chromedp.Do(ctx)
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	return browser.ctx
}

// device is one browser context: a person's laptop, phone or desktop app.
type device struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu       sync.Mutex
	problems []string // console errors and CSP violations, checked when the test ends
	allowed  []string // substrings of console errors this test expects
}

// cspWatcher reports every CSP violation to Go; it runs before any page script.
const cspWatcher = `document.addEventListener("securitypolicyviolation", function (e) {
  window.e2eCSPViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});`

// newDevice opens a new browser context with its own cookies and user agent.
func newDevice(t *testing.T, name, ua string) *device {
	t.Helper()
	return newDeviceIn(t, startBrowser(t), name, ua)
}

// newDeviceIn is newDevice in a given browser (a test may need one with other flags).
func newDeviceIn(t *testing.T, browserCtx context.Context, name, ua string) *device {
	t.Helper()
	d := &device{t: t, name: name}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(),
		chromedp.WithListener(d.onEvent))
	d.ctx = ctx
	t.Cleanup(func() {
		cancel()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, p := range d.problems {
			t.Errorf("%s: %s", d.name, p)
		}
	})
	// The first call opens the tab and ties its life to the context it gets: give it the
	// device's own context, not a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	d.do(
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "en"}); err != nil {
				return err
			}
			// Several tabs share one headless browser: each behaves as the focused window.
			_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
			return err
		}),
		chromedp.ExposeFunc("e2eCSPViolation", func(_ context.Context, msg string) (bool, error) {
			d.problem("CSP violation: " + msg)
			return true, nil
		}),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatcher})
			return err
		}),
		chromedp.EmulateViewport(1280, 900),
	)
	return d
}

// onEvent collects console errors, uncaught exceptions and browser log errors. It runs in
// the tab's event loop, so it only records.
func (d *device) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			d.problem("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			text += " " + ev.ExceptionDetails.Exception.Description
		}
		d.problem("uncaught exception: " + text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			d.problem("browser log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text + " " + ev.Entry.URL)
		}
	}
}

func (d *device) problem(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.allowed {
		if strings.Contains(msg, a) {
			return
		}
	}
	d.problems = append(d.problems, msg)
}

// allow tells the device that console errors containing s are expected in this test.
func (d *device) allow(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.allowed = append(d.allowed, s)
}

// takeProblems returns the problems recorded so far and forgets them.
func (d *device) takeProblems() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.problems
	d.problems = nil
	return p
}

// do runs steps, failing the test on error.
func (d *device) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		d.t.Fatalf("%s: %v", d.name, err)
	}
}

// run runs one action that returns a value, failing the test on error.
func run[T any](d *device, a chromedp.Action[T]) T {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		d.t.Fatalf("%s: %v", d.name, err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page. Runtime.evaluate is the debugger's,
// so the page's CSP (no eval) does not apply to it.
func eval[T any](d *device, js string) T {
	d.t.Helper()
	return run(d, chromedp.Evaluate[T](js))
}

// waitFor polls a JavaScript condition from Go until it is true. chromedp.Poll compiles
// its predicate with new Function inside the page, which our CSP rightly refuses.
func (d *device) waitFor(what, js string) {
	d.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s: timed out waiting for %s (%s); last error %v; at %s", d.name, what, js, err, d.location())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// location is the page's address, for messages.
func (d *device) location() string {
	ctx, cancel := context.WithTimeout(d.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open navigates and waits for the load. A navigation that the page's own redirect
// aborted (a live update sending a signed-out page to the sign-in page at that moment)
// is made once more: the test asked for url, not for the race.
func (d *device) open(url string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	if err != nil && strings.Contains(err.Error(), "net::ERR_ABORTED") {
		err = chromedp.Do(ctx, chromedp.Navigate(url))
	}
	if err != nil {
		d.t.Fatalf("%s: %v", d.name, err)
	}
}

// submit clicks a submit button and waits for the page it leads to.
func (d *device) submit(sel string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		d.t.Fatalf("%s: submit %s: %v", d.name, sel, err)
	}
}

// keys sends real key events (Input.dispatchKeyEvent) to whatever has focus.
func (d *device) keys(k string) {
	d.t.Helper()
	d.do(chromedp.KeyEvent(k))
}

// text returns the trimmed textContent of the first element matching sel, or "".
func (d *device) text(sel string) string {
	d.t.Helper()
	return eval[string](d, fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e?e.textContent.replace(/\s+/g," ").trim():""})()`, sel))
}

// cookies returns the device's cookies for url, to put them back later.
func (d *device) cookies(url string) []*network.CookieParam {
	d.t.Helper()
	res := run(d, func(ctx context.Context, _ *chromedp.Target) (network.GetCookiesResult, error) {
		return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	})
	var out []*network.CookieParam
	for _, c := range res.Cookies {
		out = append(out, &network.CookieParam{Name: c.Name, Value: c.Value, URL: url, Path: c.Path,
			HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: c.SameSite})
	}
	return out
}

// setCookies restores cookies saved with cookies.
func (d *device) setCookies(cs []*network.CookieParam) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: cs})
		return err
	}))
}

// disableScript turns JavaScript off for this device's tab.
func (d *device) disableScript() {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// colorScheme emulates prefers-color-scheme ("light" or "dark").
func (d *device) colorScheme(scheme string) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// language makes the device ask for lang in Accept-Language (ua is kept).
func (d *device) language(ua, lang string) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
		return err
	}))
}
