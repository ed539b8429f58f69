// Package ha_test proves the scale-out story with real processes on one machine: app
// instances built from this module, nginx in front of them, and PostgreSQL primary and
// standby servers. Every process dies with the test, even when it fails.
package ha_test

import (
	"github.com/docodego/sessions/internal/testserver"

	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/internal/pgserver"
)

// binary is the app, built once by TestMain from this module.
var binary string

func TestMain(m *testing.M) {
	removeStaleDirs()
	dir, err := os.MkdirTemp("", "docodego-ha-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ha:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sessions")
	build := exec.Command("go", "build", "-o", binary, "github.com/docodego/sessions")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "ha: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// removeStaleDirs deletes temp dirs of runs that died before their cleanup (a test timeout
// panics past t.Cleanup; Pdeathsig still takes their processes down).
func removeStaleDirs() {
	for _, pattern := range []string{"docodego-ha-bin-*", "docodego-nginx-*", "docodego-patroni-*"} {
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern))
		for _, d := range dirs {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(d)
			}
		}
	}
}

// proc is a child process that is killed and reaped when the test ends.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed once the process has been reaped
}

// startProc starts cmd in its own process group, dying with us (Pdeathsig), with its output
// kept for failure messages.
func startProc(t *testing.T, name string, cmd *exec.Cmd, deathSig syscall.Signal) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// Patroni's PostgreSQL inherits the output pipe and may outlive Patroni: do not wait
	// for the pipe's end once the process itself is gone.
	cmd.WaitDelay = 2 * time.Second
	attr := &syscall.SysProcAttr{Pdeathsig: deathSig, Setpgid: true}
	if cmd.SysProcAttr != nil {
		attr.Credential = cmd.SysProcAttr.Credential // Patroni runs as the postgres user
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		keepOutput(t, name, p.out.String())
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tailString(p.out.String(), 3000))
			if errs := errorLines(p.out.String(), 20); errs != "" {
				t.Logf("%s error lines:\n%s", name, errs)
			}
		}
	})
	return p
}

// keepOutput appends a process's whole output to <name>.log in HA_HISTORY_DIR, when set,
// beside the run's histories: the failure message keeps only its tail.
func keepOutput(t *testing.T, name, out string) {
	dir := os.Getenv("HA_HISTORY_DIR")
	if dir == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(out); err != nil {
		t.Error(err)
	}
}

// kill signals the whole process group and waits until the process is reaped.
func (p *proc) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// app is one instance of the real binary.
type app struct {
	*proc
	name string
	addr string   // 127.0.0.1:port
	env  []string // to start it again the same way
}

// restart stops the instance as a deploy does (SIGTERM: it drains and exits), starts it
// again on the same address and waits until it is ready.
func (a *app) restart(t *testing.T) {
	t.Helper()
	a.kill(syscall.SIGTERM)
	cmd := exec.Command(binary)
	cmd.Env = a.env
	a.proc = startProc(t, a.name, cmd, syscall.SIGKILL)
	waitHTTP(t, a.proc, "http://"+a.addr+"/readyz")
}

// startApps runs instances of the binary on free ports against dsn, all at once (as a
// rollout would: they migrate in turn), and waits until each /readyz says ready.
func startApps(t *testing.T, dsn string, names ...string) []*app {
	t.Helper()
	apps := make([]*app, len(names))
	for i, name := range names {
		addr := testserver.FreeAddr(t)
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL="+dsn, "BASE_URL=http://"+addr,
			"TRUSTED_PROXIES=127.0.0.1")
		apps[i] = &app{proc: startProc(t, name, cmd, syscall.SIGKILL), name: name, addr: addr, env: cmd.Env}
	}
	for _, a := range apps {
		waitHTTP(t, a.proc, "http://"+a.addr+"/readyz")
	}
	return apps
}

// startNginx runs nginx in the foreground, round-robin over upstreams, and returns its URL.
// Connect errors, and a connection reset before any answer, go to the next instance for every
// method (non_idempotent): an instance stopping on SIGTERM finishes every request it read, but
// the kernel resets the connections still queued on its listener when it closes, and without
// this nginx answers 502 to such a POST (seen in the restart fault). A request an instance
// read and then crashed on could run twice; no fault here kills an instance mid-request.
func startNginx(t *testing.T, upstreams ...string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin, err = exec.LookPath("/usr/sbin/nginx") // PATH without sbin
	}
	if err != nil {
		t.Fatalf("nginx not installed (apt-get install nginx; .ci/run does): %v", err)
	}
	dir, err := os.MkdirTemp("", "docodego-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	addr := testserver.FreeAddr(t)
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "\t\tserver %s max_fails=1 fail_timeout=30s;\n", u)
	}
	conf := fmt.Sprintf(nginxConf, dir, dir, dir, dir, dir, dir, dir, servers.String(), addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"),
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
	// SIGTERM is nginx's fast shutdown: the master takes its workers down with it.
	p := startProc(t, "nginx", cmd, syscall.SIGTERM)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", tailString(string(b), 3000))
		}
	})
	waitHTTP(t, p, "http://"+addr+"/nginx-ready")
	return "http://" + addr
}

// nginxConf: temp files stay in memory-sized buffers under our prefix; X-Upstream tells the
// client which instance answered (or failed), X-Upstream-Time how long the instances took.
const nginxConf = `worker_processes 1;
error_log %s/error.log warn;
events { worker_connections 512; }
http {
	access_log %s/access.log;
	client_body_temp_path %s/client_body;
	proxy_temp_path %s/proxy;
	fastcgi_temp_path %s/fastcgi;
	uwsgi_temp_path %s/uwsgi;
	scgi_temp_path %s/scgi;
	upstream app {
%s	}
	server {
		listen %s;
		location = /nginx-ready { return 200 "ok"; }
		# The live stream: unbuffered, and read timeout above the 20 s heartbeat.
		location = /app/settings/security/events {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_buffering off;
			proxy_cache off;
			proxy_read_timeout 60s;
			proxy_connect_timeout 2s;
			add_header X-Upstream $upstream_addr always;
		}
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_next_upstream error timeout non_idempotent;
			proxy_next_upstream_tries 2;
			proxy_connect_timeout 2s;
			proxy_read_timeout 30s;
			add_header X-Upstream $upstream_addr always;
			add_header X-Upstream-Time $upstream_header_time always;
		}
	}
}
`

// waitHTTP polls url until it answers 200, failing early if p exits.
func waitHTTP(t *testing.T, p *proc, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before %s answered:\n%s", p.name, url, tailString(p.out.String(), 3000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s not ready after 30s (last error %v)", p.name, url, err)
		}
	}
}

// withTimeout is a context that ends with the test or after d.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// errorLines is the first n lines of an app's output logged at level ERROR.
func errorLines(out string, n int) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, `"level":"ERROR"`) {
			if keep = append(keep, line); len(keep) == n {
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

func tailString(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// startPairBehindNginx starts a throwaway PostgreSQL, two instances of the real binary on
// it ("app-a", "app-b", started together: they migrate in turn) and nginx in front of them;
// it returns the instances and nginx's base URL.
func startPairBehindNginx(ctx context.Context, t *testing.T) ([]*app, string) {
	t.Helper()
	pg, err := pgserver.StartLocal(ctx, pgserver.LocalOptions{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if err := db.EnsureDatabase(ctx, parseConfig(t, pg.DSN("docodego"))); err != nil {
		t.Fatal(err)
	}
	apps := startApps(t, pg.DSN("docodego"), "app-a", "app-b")
	return apps, startNginx(t, apps[0].addr, apps[1].addr)
}

// parseConfig parses a DSN the tests built, as the app parses DATABASE_URL.
func parseConfig(t testing.TB, dsn string) db.Config {
	t.Helper()
	cfg, err := db.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
