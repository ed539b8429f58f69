package webkit_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/): the handful of
// JSON-over-HTTP commands this suite needs, spoken to WebKitWebDriver.

// elementKey is the W3C name of an element reference in JSON.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// W3C key codes for the actions API.
const (
	keyTab    = "\uE004"
	keyEnter  = "\uE007"
	keyEscape = "\uE00C"
)

// driver is a running WebKitWebDriver under its own Xvfb display (xvfb-run).
type driver struct {
	url string
	cmd *exec.Cmd
}

// startDriver runs `xvfb-run -a WebKitWebDriver --port=N` in its own process group and
// waits until it answers /status.
func startDriver() (*driver, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("xvfb-run", "-a", "WebKitWebDriver", "--port="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// Own process group: stop() ends xvfb-run, Xvfb, the driver and MiniBrowser together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start xvfb-run WebKitWebDriver: %w", err)
	}
	d := &driver{url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		err := call(http.MethodGet, d.url+"/status", nil, &status)
		if err == nil && status.Ready {
			return d, nil
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("WebKitWebDriver not ready on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the whole process group.
func (d *driver) stop() {
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// session is one browser (MiniBrowser) driven through the driver.
type session struct {
	t   testing.TB
	url string // driver URL + /session/<id>
}

// newSession starts MiniBrowser with the given extra arguments and ends it with the test.
func (d *driver) newSession(t testing.TB, args ...string) *session {
	t.Helper()
	s, err := d.open(args...)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.close)
	return s
}

func (d *driver) open(args ...string) (*session, error) {
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"webkitgtk:browserOptions": map[string]any{
			"binary": miniBrowser,
			"args":   append([]string{"--automation"}, args...),
		},
	}}}
	var out struct {
		SessionID string `json:"sessionId"`
	}
	if err := call(http.MethodPost, d.url+"/session", caps, &out); err != nil {
		return nil, fmt.Errorf("new WebDriver session: %w", err)
	}
	return &session{url: d.url + "/session/" + out.SessionID}, nil
}

func (s *session) close() { _ = call(http.MethodDelete, s.url, nil, nil) }

// do runs one command and fails the test on a WebDriver error.
func (s *session) do(method, path string, body, out any) {
	s.t.Helper()
	if err := call(method, s.url+path, body, out); err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// navigate loads url and waits for the load to finish (pageLoadStrategy normal).
func (s *session) navigate(url string) {
	s.t.Helper()
	s.do(http.MethodPost, "/url", map[string]string{"url": url}, nil)
}

func (s *session) refresh() {
	s.t.Helper()
	s.do(http.MethodPost, "/refresh", struct{}{}, nil)
}

// currentURL is the address of the page now shown.
func (s *session) currentURL() string {
	s.t.Helper()
	var u string
	s.do(http.MethodGet, "/url", nil, &u)
	return u
}

// find returns the element matching a CSS selector.
func (s *session) find(css string) string {
	s.t.Helper()
	var el map[string]string
	s.do(http.MethodPost, "/element", map[string]string{"using": "css selector", "value": css}, &el)
	return el[elementKey]
}

func (s *session) click(css string) {
	s.t.Helper()
	s.do(http.MethodPost, "/element/"+s.find(css)+"/click", struct{}{}, nil)
}

func (s *session) typeInto(css, text string) {
	s.t.Helper()
	s.do(http.MethodPost, "/element/"+s.find(css)+"/value", map[string]string{"text": text}, nil)
}

// press sends one key to the focused element through the W3C actions API.
func (s *session) press(key string) {
	s.t.Helper()
	s.do(http.MethodPost, "/actions", map[string]any{"actions": []any{map[string]any{
		"type": "key", "id": "keyboard",
		"actions": []any{
			map[string]string{"type": "keyDown", "value": key},
			map[string]string{"type": "keyUp", "value": key},
		},
	}}}, nil)
	s.do(http.MethodDelete, "/actions", nil, nil)
}

// eval runs script (a function body; arguments in `arguments`) and decodes its result.
func (s *session) eval(out any, script string, args ...any) {
	s.t.Helper()
	if args == nil {
		args = []any{}
	}
	s.do(http.MethodPost, "/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// waitFor polls script until it returns true; it fails the test with what after 10 s. A
// script that fails is asked again: a page that navigates while it runs (a redirect the
// wait is for, say) ends the call with "no such frame", which is not an answer.
func (s *session) waitFor(what, script string, args ...any) {
	s.t.Helper()
	if args == nil {
		args = []any{}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ok bool
		err := call(http.MethodPost, s.url+"/execute/sync", map[string]any{"script": script, "args": args}, &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the viewport as a PNG.
func (s *session) screenshot(path string) {
	s.t.Helper()
	var b64 string
	s.do(http.MethodGet, "/screenshot", nil, &b64)
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		s.t.Fatalf("decode screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatalf("save screenshot: %v", err)
	}
}

var wdClient = &http.Client{Timeout: 60 * time.Second}

// call sends one WebDriver command and decodes its "value" into out.
func call(method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := wdClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		return fmt.Errorf("status %d: decode: %w", res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return fmt.Errorf("status %d: %s: %s", res.StatusCode, e.Error, e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Value, out); err != nil {
		return errors.Join(fmt.Errorf("decode value %s", env.Value), err)
	}
	return nil
}
