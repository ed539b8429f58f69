package webkit_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// httpDevice is a second device: a plain HTTP client with its own cookie jar, speaking the
// JSON API the way a native client would.
type httpDevice struct {
	t    testing.TB
	base string
	ua   string
	c    *http.Client
}

func newHTTPDevice(t testing.TB, base, ua string) *httpDevice {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &httpDevice{t: t, base: base, ua: ua, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// call sends a JSON request and returns the status and the decoded body (nil when empty).
func (d *httpDevice) call(method, path string, body any) (int, map[string]any) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", d.ua)
	res, err := d.c.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			d.t.Fatalf("%s %s: status %d, body %q: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode, out
}

// must sends a request and fails the test unless the status is want.
func (d *httpDevice) must(want int, method, path string, body any) map[string]any {
	d.t.Helper()
	status, out := d.call(method, path, body)
	if status != want {
		d.t.Fatalf("%s %s: status %d (%v), want %d", method, path, status, out, want)
	}
	return out
}

// currentSessionID is the id of the session this device is signed in with.
func (d *httpDevice) currentSessionID() string {
	d.t.Helper()
	id, _ := d.must(http.StatusOK, http.MethodGet, "/api/users/me/current-session/", nil)["id"].(string)
	if id == "" {
		d.t.Fatal("current session has no id")
	}
	return id
}
