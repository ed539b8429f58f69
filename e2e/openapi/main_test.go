// Package openapi_test runs contract tools that nobody here wrote against api/openapi.yaml
// and the running app: Spectral lints the document, Prism validates real traffic in front
// of the app (the better-auth client suite and a walk of every route), and Portman turns the
// document into contract and variation tests that Newman runs. The tools are pinned in
// package-lock.json (`npm ci` here; .ci/run does it) and run offline.
package openapi_test

import (
	"github.com/docodego/sessions/internal/testserver"

	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// document is the OpenAPI document of record, as the tools read it.
const document = "../../api/openapi.yaml"

// tool is the path of an installed npm binary; the suite fails, saying how to install
// it, when it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is not installed: run `npm ci` in e2e/openapi (.ci/run does it)", name)
	}
	abs, _ := filepath.Abs(p)
	return abs
}

// offline is the environment for the npm tools: no telemetry, no colour, no update checks.
func offline() []string {
	return append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0", "SCARF_ANALYTICS=false",
		"DO_NOT_TRACK=1", "NO_UPDATE_NOTIFIER=1", "npm_config_update_notifier=false")
}

// lines collects a process's output, safe to read while it runs.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// prism is a Prism validation proxy in front of upstream.
type prism struct {
	URL string
	log *lines
}

// startPrism starts `prism proxy` in front of upstream and waits until it listens. It
// forwards every request and answer as they are, and logs each violation of the document.
func startPrism(t *testing.T, upstream string) *prism {
	t.Helper()
	port := testserver.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, tool(t, "prism"), "proxy", document, upstream,
		"-h", "127.0.0.1", "-p", fmt.Sprint(port), "--errors=false")
	cmd.Env = offline()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &prism{URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &lines{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.log.add(sc.Text())
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		<-done
	})
	deadline := time.After(90 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if strings.Contains(p.log.String(), "Prism is listening") {
				p.URL = cookieSplitter(t, p.URL)
				return p
			}
		case <-done:
			t.Fatalf("prism ended before listening:\n%s", p.log)
		case <-deadline:
			t.Fatalf("prism did not listen within 90 s:\n%s", p.log)
		}
	}
}

// violations are the lines of Prism's log that report a request or answer breaking the
// document.
func (p *prism) violations() []string {
	var v []string
	request := ""
	for _, l := range strings.Split(p.log.String(), "\n") {
		if _, r, ok := strings.Cut(l, "[HTTP SERVER] "); ok && strings.Contains(r, "Request received") {
			request, _, _ = strings.Cut(r, " ℹ")
		}
		if strings.Contains(l, "Violation:") {
			_, what, _ := strings.Cut(l, "Violation: ")
			v = append(v, request+": "+what)
		}
	}
	return v
}

// mergedCookie is the comma where Prism joined two Set-Cookie headers: before the next
// cookie's name=, never inside an Expires date ("Thu, 01 Jan 1970": no '=' follows).
var mergedCookie = regexp.MustCompile(`,\s*([^;=\s,]+=)`)

// cookieSplitter serves base through a reverse proxy that splits the Set-Cookie headers
// Prism's proxy merges into one (stoplightio/prism#1190, #2676: open in 5.16.0), which
// no client reads back as two cookies. Everything else passes as it is, sl-violations too.
func cookieSplitter(t *testing.T, base string) string {
	t.Helper()
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		var split []string
		for _, v := range resp.Header.Values("Set-Cookie") {
			split = append(split, strings.Split(mergedCookie.ReplaceAllString(v, "\x00$1"), "\x00")...)
		}
		resp.Header.Del("Set-Cookie")
		for _, v := range split {
			resp.Header.Add("Set-Cookie", v)
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}
