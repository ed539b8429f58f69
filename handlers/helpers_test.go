package handlers_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/device"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/internal/testserver"
	"github.com/docodego/sessions/live"
	"github.com/docodego/sessions/locale"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// Real user agents of the devices the tests sign in from.
const (
	uaChromeMac   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefoxWin  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaSafariPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	uaTauriLinux  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) DoCodeGo/1.4.0 Tauri/2.1.1"
)

const testPassword = "correct horse battery"

// shared holds what is costly to build and safe to share between tests.
var shared struct {
	once    sync.Once
	devices *device.Parser
	catalog *locale.Catalog
	err     error
}

// env is one test's app on its own fresh database.
type env struct {
	t     testing.TB
	app   *fiber.App
	store *db.Store
	auth  *auth.Service
	logs  *testserver.LogBuffer
	// served: the app runs on a loopback port (base) and clients reach it over the network
	// with http; otherwise they call app.Test.
	base string
	http *http.Client
	// exchanges, when set, collects every /api/ request and answer (openapi_test.go).
	exchanges *[]apiExchange
}

func newEnv(t testing.TB) *env {
	t.Helper()
	shared.once.Do(func() {
		shared.devices, shared.err = device.NewParser("DoCodeGo")
		if shared.err == nil {
			shared.catalog, shared.err = locale.New()
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	store := dbtest.NewStore(t)
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1} // fast hashes for tests
	logs := &testserver.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	svc, err := auth.NewService(store, shared.devices, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h := handlers.New(svc, shared.catalog, log, handlers.Config{
		AppName: "DoCodeGo", BaseURL: "http://example.test", CSRFKey: []byte("test key, 32 bytes long........"),
		// A hub without a listener: streams open and end; tests of notifications are in
		// internal/resilience. Roomy limits: some tests open many streams of one user.
		Live: live.New(live.Limits{PerUser: 1000, Total: 1000}),
	})
	return &env{t: t, app: h.NewApp(handlers.AppOptions{}), store: store, auth: svc, logs: logs}
}

// client is one browser or API client: it keeps its cookies and user agent.
type client struct {
	e       *env
	ua      string
	cookies map[string]string
}

func (e *env) client(ua string) *client {
	return &client{e: e, ua: ua, cookies: map[string]string{}}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request with the client's cookies and keeps the cookies it is given.
func (c *client) do(method, path, body string, headers map[string]string) response {
	c.e.t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	return c.doHeader(method, path, body, h)
}

// doHeader is do with headers that may repeat (each value its own header line).
func (c *client) doHeader(method, path, body string, headers http.Header) response {
	c.e.t.Helper()
	var req *http.Request
	if c.e.base != "" {
		req, _ = http.NewRequest(method, c.e.base+path, strings.NewReader(body))
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	req.Header.Set("User-Agent", c.ua)
	for k, v := range headers {
		req.Header[k] = v
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := c.e.send(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(path, "/api/") {
		x := apiExchange{method: method, target: path, header: req.Header, body: body,
			status: resp.StatusCode, respHeader: resp.Header, respBody: string(data)}
		if problem := checkAnswer(c.e.t, x); problem != "" {
			c.e.t.Errorf("%s %s answered %d %s, which breaks api/openapi.yaml:\n%s", method, path, resp.StatusCode, data, problem)
		}
		if c.e.exchanges != nil {
			*c.e.exchanges = append(*c.e.exchanges, x)
		}
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// send delivers a request: over the network to a served app, else straight to the app.
func (e *env) send(req *http.Request) (*http.Response, error) {
	if e.base != "" {
		return e.http.Do(req)
	}
	return e.app.Test(req, -1)
}

func (c *client) get(path string) response { return c.do("GET", path, "", nil) }

// htmx sends a request the way htmx 4 does, with the page's CSRF token.
func (c *client) htmx(method, path string) response {
	return c.do(method, path, "", map[string]string{"HX-Request": "true", "X-CSRF-Token": c.csrf()})
}

// form posts a form with the page's CSRF token.
func (c *client) form(path string, values url.Values) response {
	values.Set("_csrf", c.csrf())
	return c.do("POST", path, values.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (c *client) json(method, path, body string) response {
	return c.do(method, path, body, map[string]string{"Content-Type": "application/json"})
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// csrf loads the sign-in page (which sets the device cookie) and reads the token.
func (c *client) csrf() string {
	c.e.t.Helper()
	r := c.do("GET", "/login", "", nil)
	m := csrfMeta.FindStringSubmatch(r.body)
	if m == nil {
		// Signed in: /login redirects, so read the token from the security page.
		r = c.do("GET", "/app/settings/security", "", nil)
		m = csrfMeta.FindStringSubmatch(r.body)
	}
	if m == nil {
		c.e.t.Fatalf("no csrf token in page (status %d)", r.status)
	}
	return m[1]
}

// signUp creates the account through the JSON API; the client is then signed in.
func (c *client) signUp(email string) {
	c.e.t.Helper()
	r := c.json("POST", "/api/auth/sign-up/email",
		`{"name":"Test Person","email":"`+email+`","password":"`+testPassword+`"}`)
	if r.status != 200 {
		c.e.t.Fatalf("sign up: %d %s", r.status, r.body)
	}
}

// signIn signs the client in through the JSON API.
func (c *client) signIn(email string) {
	c.e.t.Helper()
	r := c.json("POST", "/api/auth/sign-in/email", `{"email":"`+email+`","password":"`+testPassword+`"}`)
	if r.status != 200 {
		c.e.t.Fatalf("sign in: %d %s", r.status, r.body)
	}
}

// serve runs the app on a real loopback socket until the test ends and returns its address.
func (e *env) serve() string { return e.serveOn("127.0.0.1:0") }

// serveOn runs the app on a socket at addr until the test ends and returns its address.
func (e *env) serveOn(addr string) string {
	e.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.t.Fatal(err)
	}
	go e.app.Listener(ln)
	e.t.Cleanup(func() { _ = e.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// serveIPv6 runs the app on the IPv6 loopback ([::1]) until the test ends; the env's
// clients then reach it over the network, from ::1.
func (e *env) serveIPv6() {
	e.t.Helper()
	e.base, e.http = e.serveOn("[::1]:0"), &http.Client{}
}

// httpRequest sends one request over the network.
func httpRequest(t *testing.T, method, url, body string, headers map[string]string) response {
	t.Helper()
	r, err := sendHTTP(method, url, body, headers)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// tryHTTPRequest is httpRequest for a request the server may cut short: a transport error
// gives a zero response instead of failing the test.
func tryHTTPRequest(t *testing.T, method, url string, headers map[string]string) response {
	t.Helper()
	r, _ := sendHTTP(method, url, "", headers)
	return r
}

func sendHTTP(method, url, body string, headers map[string]string) (response, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}, nil
}
