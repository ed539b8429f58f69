package handlers_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/internal/testserver"
)

// envOptions change what newEnvWith builds; zero values are newEnv's.
type envOptions struct {
	baseURL string
	proxies []string
	store   *db.Store          // share a database with another env (a second instance)
	auth    func(*auth.Config) // adjust the rules
	// maxInFlight is handlers.Config.MaxInFlight (0: its default).
	maxInFlight int
}

// newEnvWith is newEnv with another base URL, trusted proxies, database or rules.
func newEnvWith(t testing.TB, o envOptions) *env {
	t.Helper()
	newEnv(t) // loads the shared parser and catalog
	if o.baseURL == "" {
		o.baseURL = "http://example.test"
	}
	if o.store == nil {
		o.store = dbtest.NewStore(t)
	}
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	if o.auth != nil {
		o.auth(&cfg)
	}
	logs := &testserver.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	svc, err := auth.NewService(o.store, shared.devices, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h := handlers.New(svc, shared.catalog, log, handlers.Config{
		AppName: "DoCodeGo", BaseURL: o.baseURL, CSRFKey: []byte("test key, 32 bytes long........"),
		MaxInFlight: o.maxInFlight,
	})
	app := h.NewApp(handlers.AppOptions{TrustedProxies: o.proxies})
	return &env{t: t, app: app, store: o.store, auth: svc, logs: logs}
}

// wantHeaders are the headers every response carries (ASVS 14.4).
var wantHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "same-origin",
	"Cross-Origin-Opener-Policy": "same-origin",
	"X-Frame-Options":            "DENY",
	"Permissions-Policy":         "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header, https bool) {
	t.Helper()
	for name, want := range wantHeaders {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
	for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Server", "X-Powered-By"} {
		if v := h.Get(name); v != "" {
			t.Errorf("%s: %s = %q (no CORS, no version banner)", what, name, v)
		}
	}
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-") {
		t.Errorf("%s: CSP allows %q", what, csp)
	}
	hsts := h.Get("Strict-Transport-Security")
	if https && hsts != "max-age=63072000; includeSubDomains" {
		t.Errorf("%s: HSTS = %q over https", what, hsts)
	}
	if !https && hsts != "" {
		t.Errorf("%s: HSTS %q over plain http", what, hsts)
	}
}

// Every kind of answer carries the security headers: page, fragment, JSON, static file,
// 404, error page, htmx redirect; personal ones are not cached. HSTS only over https.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	for _, base := range []string{"http://example.test", "https://sessions.example"} {
		https := strings.HasPrefix(base, "https")
		t.Run(base, func(t *testing.T) {
			e := newEnvWith(t, envOptions{baseURL: base})
			mac, win := e.client(uaChromeMac), e.client(uaFirefoxWin)
			mac.signUp("headers@example.com")
			win.signIn("headers@example.com")
			winID := win.currentID()
			anon := e.client(uaChromeMac)
			tests := []struct {
				name    string
				do      func() response
				status  int
				noStore bool
			}{
				{"page", func() response { return mac.get("/app/settings/security") }, 200, true},
				{"sign-in page", func() response { return anon.get("/login") }, 200, true},
				{"fragment", func() response { return mac.htmx("DELETE", "/app/settings/security/sessions/"+winID) }, 200, true},
				{"json", func() response { return mac.get("/api/auth/sessions") }, 200, true},
				{"json error", func() response { return anon.get("/api/auth/sessions") }, 401, true},
				{"static", func() response { return anon.get("/static/app.js") }, 200, false},
				{"not found", func() response { return anon.get("/no/such/page") }, 404, true},
				{"error page", func() response {
					return anon.do("POST", "/login", "email=a", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
				}, 403, true},
				{"redirect", func() response { return anon.get("/app/settings/security") }, 303, false},
				{"htmx redirect", func() response { return anon.htmx("DELETE", "/app/settings/security/sessions/"+winID) }, 200, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := tt.do()
					if r.status != tt.status {
						t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
					}
					checkSecurityHeaders(t, tt.name, r.header, https)
					if cc := r.header.Get("Cache-Control"); tt.noStore && cc != "no-store" {
						t.Errorf("Cache-Control = %q, want no-store", cc)
					}
				})
			}
		})
	}
}

// Answers the HTTP server itself gives (413, 431) still carry the headers.
func TestSecurityHeadersOnServerErrors(t *testing.T) {
	base := newEnv(t).serve()
	big := httpRequest(t, "POST", base+"/api/auth/sign-in/email", strings.Repeat("a", 70*1024), nil)
	if big.status != 413 {
		t.Fatalf("big body: %d", big.status)
	}
	checkSecurityHeaders(t, "413", big.header, false)
}

// Cookies are HttpOnly, SameSite=Lax, Path=/, host-only; over https also Secure and
// __Host- prefixed (ASVS 3.4.1-3.4.5).
func TestCookieAttributes(t *testing.T) {
	for _, base := range []string{"http://example.test", "https://sessions.example"} {
		https := strings.HasPrefix(base, "https")
		t.Run(base, func(t *testing.T) {
			e := newEnvWith(t, envOptions{baseURL: base})
			c := e.client(uaChromeMac)
			page := c.do("GET", "/login", "", nil)
			r := c.json("POST", "/api/auth/sign-up/email", `{"name":"C","email":"c@example.com","password":"`+testPassword+`"}`)
			if r.status != 200 {
				t.Fatalf("sign up: %d %s", r.status, r.body)
			}
			out := c.do("POST", "/api/auth/sign-out", "", nil)
			prefix := ""
			if https {
				prefix = "__Host-"
			}
			seen := map[string]bool{}
			for _, resp := range []response{page, r, out} {
				for _, line := range resp.header.Values("Set-Cookie") {
					ck, err := http.ParseSetCookie(line)
					if err != nil {
						t.Fatalf("bad Set-Cookie %q: %v", line, err)
					}
					seen[ck.Name] = true
					if ck.Name != prefix+"session" && ck.Name != prefix+"device" {
						t.Errorf("cookie %q, want the %q prefix", ck.Name, prefix)
					}
					if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != https {
						t.Errorf("cookie attributes: %s", line)
					}
				}
			}
			if !seen[prefix+"session"] || !seen[prefix+"device"] {
				t.Fatalf("cookies set: %v", seen)
			}
			// The session cookie lives no longer than the session can.
			for _, line := range r.header.Values("Set-Cookie") {
				if ck, _ := http.ParseSetCookie(line); ck.Name == prefix+"session" && ck.MaxAge != int(auth.DefaultConfig().AbsoluteLifetime.Seconds()) {
					t.Errorf("session cookie Max-Age %d", ck.MaxAge)
				}
			}
		})
	}
	_ = url.Values{}
}
