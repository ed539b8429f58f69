package openapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/internal/testserver"
)

// TestPrismValidationProxy sends the better-auth client suite (e2e/betterauth) and a walk of
// every route through Prism's validation proxy in front of the running app: no request
// and no answer may break the document (Prism marks each with an sl-violations header and
// logs it).
func TestPrismValidationProxy(t *testing.T) {
	if _, err := os.Stat("../betterauth/node_modules/better-auth/package.json"); err != nil {
		t.Fatal("better-auth is not installed: run `npm ci` in e2e/betterauth (.ci/run does it)")
	}
	srv := testserver.Start(t, testserver.Options{})
	staleCfg := auth.DefaultConfig()
	staleCfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	staleCfg.ReauthWindow = time.Nanosecond // as e2e/betterauth: every session is stale at once
	stale := testserver.Start(t, testserver.Options{DSN: srv.DSN, Auth: &staleCfg})
	proxy, staleProxy := startPrism(t, srv.URL), startPrism(t, stale.URL)

	t.Run("better-auth client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "flow.test.mjs")
		cmd.Dir = "../betterauth"
		// Prism forwards each request with the app's own Host, so pages send the app's origin.
		cmd.Env = append(offline(), "BETTER_AUTH_E2E_URL="+proxy.URL, "BETTER_AUTH_E2E_STALE_URL="+staleProxy.URL,
			"BETTER_AUTH_E2E_ORIGIN="+srv.URL, "BETTER_AUTH_E2E_STALE_ORIGIN="+stale.URL)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node --test through prism: %v\n%s\nprism:\n%s", err, out, proxy.log)
		}
	})
	t.Run("every route", func(t *testing.T) { walkThrough(t, proxy.URL, srv.URL) })

	// The better-auth suite checks on purpose that signed-out calls of signed-in routes are
	// refused (401 UNAUTHORIZED, as documented); Prism reports each such request as lacking
	// the session the document asks for. That is the only report allowed, and the walk
	// above, which checks every answer's sl-violations, makes no such call.
	for _, p := range []*prism{proxy, staleProxy} {
		var unexpected []string
		for _, v := range p.violations() {
			if strings.HasSuffix(v, ": request Invalid security scheme used") {
				t.Logf("prism, as expected of a signed-out call: %s", v)
				continue
			}
			unexpected = append(unexpected, v)
		}
		if len(unexpected) > 0 {
			t.Errorf("prism found %d violations of api/openapi.yaml:\n%s", len(unexpected), strings.Join(unexpected, "\n"))
		}
	}
}

// walkThrough signs up, in and out through base and calls every route the way a client
// following the document does, failing on any answer Prism marks as a violation.
func walkThrough(t *testing.T, base, origin string) {
	pw := `"correct horse battery"`
	ada, win := newBrowser(t, base, origin), newBrowser(t, base, origin)
	ada.call("POST", "/api/auth/sign-up/email", `{"name":"Ada Lovelace","email":"prism@example.com","password":`+pw+`}`, 200)
	ada.call("POST", "/api/auth/sign-up/email", `{"name":"Ada","email":"prism@example.com","password":`+pw+`}`, 422)
	win.call("POST", "/api/auth/sign-in/email", `{"email":"prism@example.com","password":`+pw+`,"rememberMe":false}`, 200)
	ada.call("POST", "/api/auth/sign-in/email", `{"email":"prism@example.com","password":"wrong password!!"}`, 401)
	var me struct{ ID string }
	json.Unmarshal([]byte(win.call("GET", "/api/users/me/current-session", "", 200)), &me)
	ada.call("GET", "/api/auth/sessions", "", 200)
	ada.call("GET", "/api/auth/sessions/"+me.ID+"/status", "", 200)
	ada.call("GET", "/api/auth/sessions/00000000-0000-4000-8000-000000000000/status", "", 404)
	ada.call("GET", "/api/users/me/security-events?limit=5", "", 200)
	ada.call("GET", "/api/auth/get-session", "", 200)
	ada.call("GET", "/api/auth/list-sessions", "", 200)
	ada.call("POST", "/api/auth/reauthenticate", `{"password":`+pw+`}`, 200)
	ada.call("DELETE", "/api/auth/sessions/"+me.ID, "", 204)
	ada.call("GET", "/api/auth/sessions/"+me.ID+"/status", "", 200)
	win.call("GET", "/api/auth/sessions", "", 401)
	win.call("POST", "/api/auth/sign-in/email", `{"email":"prism@example.com","password":`+pw+`}`, 200)
	ada.call("DELETE", "/api/auth/sessions", "", 200)
	win.call("POST", "/api/auth/sign-in/email", `{"email":"prism@example.com","password":`+pw+`}`, 200)
	json.Unmarshal([]byte(win.call("GET", "/api/users/me/current-session", "", 200)), &me)
	ada.call("POST", "/api/auth/revoke-session", `{"token":"`+me.ID+`"}`, 200)
	ada.call("POST", "/api/auth/revoke-other-sessions", "", 200)
	ada.call("POST", "/api/auth/change-password", `{"currentPassword":`+pw+`,"newPassword":"another long passphrase","revokeOtherSessions":true}`, 200)
	ada.call("POST", "/api/auth/send-verification-email", `{"email":"prism@example.com","callbackURL":"/app/settings/security"}`, 200)
	ada.call("GET", "/api/auth/verify-email?token=nonsense", "", 401)
	ada.call("GET", "/api/openapi.json", "", 200)
	ada.call("POST", "/api/auth/revoke-sessions", "", 200)
	ada.call("POST", "/api/auth/sign-out", "", 200)
	ada.call("GET", "/api/auth/get-session", "", 200)
}

// browser is one client through the proxy: a cookie jar, and the Origin a page of the
// app sends (origin: Prism forwards each request with the app's own Host).
type browser struct {
	t            *testing.T
	base, origin string
	c            *http.Client
}

func newBrowser(t *testing.T, base, origin string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, origin: origin, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// cookie is the value of the browser's cookie name for its base address.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	b.t.Fatalf("no %s cookie", name)
	return ""
}

// call sends one request, wants the status and no violation, and returns the body.
func (b *browser) call(method, path, body string, want int) string {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != "GET" {
		req.Header.Set("Origin", b.origin)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		b.t.Errorf("%s %s: want %d, got %d %s", method, path, want, resp.StatusCode, data)
	}
	if v := resp.Header.Get("sl-violations"); v != "" {
		b.t.Errorf("%s %s (%d): prism: %s", method, path, resp.StatusCode, v)
	}
	return string(data)
}
