package handlers_test

import (
	"bufio"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

// hostileInputs try to split a response or smuggle bytes into a header: CR/LF, a
// percent-encoded CR/LF for a second decoding, bytes outside ASCII, and a cursor with
// CR/LF inside, which base64 decoding skips. Each carries "injected" or CR/LF, so an
// echo of any of them shows.
func hostileInputs() []string {
	cursor := auth.EncodeCursor(db.EventCursor{CreatedAt: time.Now(), ID: 7})
	return []string{
		"/injected\r\nSet-Cookie: injected=1",
		"/injected%0d%0aSet-Cookie:%20injected=1",
		"/injected\xff\xfe\x00",
		"/inj\u2028ected\u00e9",
		cursor[:6] + "\r\n" + cursor[6:],
	}
}

// headerLine is what a response header line must look like: a token, a colon and
// printable ASCII (RFC 9110 5.5 allows obs-text, but nothing we send needs it).
var headerLine = regexp.MustCompile(`^[!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+: [\x20-\x7e]*$`)

// Every route in the table, fed hostile input in its path, query, body and headers,
// signed in and not, with and without htmx, answers with headers that carry no CR/LF,
// nothing outside printable ASCII and no echo of the input (issue 14.9). The raw answer is
// read off a real socket: a split response would not survive an HTTP client's parsing.
func TestNoUserInputReachesResponseHeaders(t *testing.T) {
	e := newEnv(t)
	base := e.serve()
	e.client(uaChromeMac).signUp("split@example.com")
	routes := e.app.GetRoutes(true)
	if len(routes) < 20 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	browser := e.client(uaChromeMac)
	token := browser.csrf() // bound to the device cookie, which every client below shares
	requests := 0
	for _, route := range routes {
		for _, v := range hostileInputs() {
			for _, signedIn := range []bool{false, true} {
				for _, htmx := range []bool{false, true} {
					c := e.client(uaChromeMac)
					maps.Copy(c.cookies, browser.cookies)
					if signedIn {
						c.signIn("split@example.com") // afresh: the last request may have signed out
					}
					raw := hostileRequest(t, c, token, route.Method, route.Path, v, htmx)
					checkResponseHeaders(t, route.Method+" "+route.Path, rawExchangeHeaders(t, base, raw))
					requests++
				}
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes), requests)
}

// hostileRequest is one request to a route with v in every path parameter, query field,
// form or JSON field and the free-text headers, with the client's cookies and CSRF token.
func hostileRequest(t *testing.T, c *client, token, method, pattern, v string, htmx bool) []byte {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || s == "*" {
			segs[i] = url.PathEscape(v)
		}
	}
	query := url.Values{}
	for _, k := range []string{"before", "limit", "next", "ended", "signed_out", "lang", "_csrf", "email"} {
		query.Set(k, v)
	}
	target := strings.Join(segs, "/") + "?" + query.Encode()
	var body, contentType string
	if strings.HasPrefix(pattern, "/api/") {
		b, _ := json.Marshal(map[string]any{"name": v, "email": v, "password": v, "token": v,
			"currentPassword": v, "newPassword": v, "revokeOtherSessions": true})
		body, contentType = string(b), "application/json"
	} else {
		form := url.Values{"_csrf": {token}, "lang": {"en"}}
		for _, k := range []string{"next", "email", "name", "password", "current_password", "new_password", "confirm_password", "revoke_others"} {
			form.Set(k, v)
		}
		body, contentType = form.Encode(), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, "http://example.test"+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", uaChromeMac)
	req.Header.Set("X-Request-Id", strings.NewReplacer("\r", "", "\n", "").Replace(v))
	req.Header.Set("Connection", "close")
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", token)
	}
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	var out strings.Builder
	if err := req.Write(&out); err != nil {
		t.Fatal(err)
	}
	return []byte(out.String())
}

// rawExchangeHeaders sends raw bytes and returns the answer's status and header lines.
func rawExchangeHeaders(t *testing.T, base string, raw []byte) []string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer to %q: %v", raw, err)
		}
		line = strings.TrimSuffix(line, "\r\n")
		if line == "" {
			return lines
		}
		lines = append(lines, line)
	}
}

// Headers that carry an address must hold a path on this site with nothing a browser
// would read as whitespace; a request id must be a plain token.
var (
	localAddress = regexp.MustCompile(`^(Location|Hx-Redirect|HX-Redirect): /([^/\\\s][\x21-\x7e]*)?$`)
	requestID    = regexp.MustCompile(`^X-Request-Id: [0-9A-Za-z-]{1,64}$`)
)

func checkResponseHeaders(t *testing.T, what string, lines []string) {
	t.Helper()
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "HTTP/1.1 ") {
		t.Errorf("%s: no status line: %q", what, lines)
		return
	}
	if status := lines[0][9:]; status >= "500" {
		t.Errorf("%s: %s", what, lines[0])
	}
	for _, line := range lines[1:] {
		name, _, _ := strings.Cut(line, ":")
		ok := headerLine.MatchString(line)
		switch strings.ToLower(name) {
		case "location", "hx-redirect":
			ok = ok && localAddress.MatchString(line) // a path we chose, or a checked local one
		case "x-request-id":
			ok = ok && requestID.MatchString(line)
		default:
			ok = ok && !carriesHostileValue(line)
		}
		if !ok {
			t.Errorf("%s: header line %q carries user input", what, line)
		}
	}
}

// carriesHostileValue reports whether a header line holds one of the hostile values, raw or
// escaped. Not a bare "inj": a random cookie value (base64) sometimes contains that.
func carriesHostileValue(line string) bool {
	line = strings.ToLower(line)
	for _, mark := range []string{"injected", "inj\u2028", "inj%e2"} {
		if strings.Contains(line, mark) {
			return true
		}
	}
	return false
}
