package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/pgserver"
	"github.com/docodego/sessions/internal/testserver"
)

// dsnPassword has every character a URI must percent-encode and a key=value DSN must quote.
const dsnPassword = `p@ss:w/rd %ü'\?#&=`

// TestEveryDSNFormStartsTheApp runs the real binary once per DSN form the README lists, each
// against a real server that insists on it (a password over TCP, TLS only, or the socket).
// With each, the app must start, serve, sign people in and deliver a live update: the pool
// and the LISTEN connection both connect from the one parsed configuration.
func TestEveryDSNFormStartsTheApp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	binary := buildBinary(t)
	tcp, err := pgserver.StartStandalone(ctx, pgserver.StandaloneOptions{Password: dsnPassword, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Stop() })
	socket, err := pgserver.StartStandalone(ctx, pgserver.StandaloneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { socket.Stop() })
	down := testserver.FreePort(t) // nothing listens there: the first host of the multi-host URI

	enc := url.UserPassword("postgres", dsnPassword).String()
	kvPassword := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dsnPassword) + "'"
	forms := []struct {
		name, dbname string
		server       *pgserver.ReplicaNode
		dsn          string
	}{
		{"key=value over TLS with a quoted password", "kv", tcp,
			fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password=%s dbname=kv sslmode=require", tcp.Port(), kvPassword)},
		{"URI with a percent-encoded password", "uri", tcp,
			fmt.Sprintf("postgres://%s@127.0.0.1:%d/uri?sslmode=require", enc, tcp.Port())},
		{"postgresql:// multi-host URI, first host down", "multi", tcp,
			fmt.Sprintf("postgresql://%s@127.0.0.1:%d,127.0.0.1:%d/multi?target_session_attrs=read-write&sslmode=require&connect_timeout=2",
				enc, down, tcp.Port())},
		{"Unix-socket host=", "socket", socket,
			fmt.Sprintf("host=%s port=%d user=postgres dbname=socket sslmode=disable", socket.SocketDir(), socket.Port())},
		{"URI with a percent-encoded socket dir", "socketuri", socket,
			fmt.Sprintf("postgres://postgres@%s:%d/socketuri?sslmode=disable", url.PathEscape(socket.SocketDir()), socket.Port())},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			createDatabase(t, form.server, form.dbname)
			app := startBinary(t, binary, form.dsn)
			checkSignInReachesOpenPage(t, app)
			app.stop(t)
		})
	}

	// The same server refuses TCP without TLS, so sslmode=require above was honoured, not
	// ignored: sslmode=disable must fail to start, with the reason and without the password.
	t.Run("sslmode=disable against a TLS-only server fails plainly", func(t *testing.T) {
		dsn := fmt.Sprintf("postgres://%s@127.0.0.1:%d/uri?sslmode=disable&connect_timeout=2", enc, tcp.Port())
		out, err := runBinaryToExit(binary, dsn, 30*time.Second)
		if err == nil {
			t.Fatalf("the app started without TLS against a TLS-only server:\n%s", out)
		}
		t.Logf("the app said: %s", strings.TrimSpace(out))
		if !strings.Contains(out, "pg_hba.conf") || strings.Contains(out, "w/rd") {
			t.Errorf("want the server's refusal, without the password, in:\n%s", out)
		}
	})
}

// buildBinary builds the app as `go build` does for a person.
func buildBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sessions")
	if b, err := exec.Command("go", "build", "-o", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func createDatabase(t *testing.T, server *pgserver.ReplicaNode, name string) {
	t.Helper()
	psql := exec.Command("/usr/lib/postgresql/15/bin/psql", "-h", server.SocketDir(), "-p", fmt.Sprint(server.Port()),
		"-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE "+name)
	if os.Geteuid() == 0 {
		psql = exec.Command("su", "postgres", "-s", "/bin/sh", "-c", shellQuote(psql.Args))
	}
	if b, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("create database %s: %v\n%s", name, err, b)
	}
}

func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// runningApp is the binary serving on base.
type runningApp struct {
	base string
	cmd  *exec.Cmd
	out  *testserver.LogBuffer
	done chan struct{}
}

func appEnv(dsn, addr string) []string {
	return append(os.Environ(), "DATABASE_URL="+dsn, "ADDR="+addr, "BASE_URL=http://"+addr, "GEOIP_DIR=off",
		"TRUSTED_PROXIES=127.0.0.1")
}

func startBinary(t *testing.T, binary, dsn string) *runningApp {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	cmd := exec.Command(binary)
	app := &runningApp{base: "http://" + addr, cmd: cmd, out: &testserver.LogBuffer{}, done: make(chan struct{})}
	cmd.Env, cmd.Stdout, cmd.Stderr = appEnv(dsn, addr), app.out, app.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(app.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-app.done })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(app.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return app
			}
		}
		select {
		case <-app.done:
			t.Fatalf("the app exited before it was ready:\n%s", app.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30 s:\n%s", app.out)
		}
	}
}

// stop sends SIGTERM as a person's Ctrl-C or a service manager does: the app must exit 0.
func (a *runningApp) stop(t *testing.T) {
	t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the app did not stop within 30 s of SIGTERM:\n%s", a.out)
	}
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, a.out)
	}
	if strings.Contains(a.out.String(), "level=ERROR") {
		t.Errorf("ERROR lines in a clean run:\n%s", a.out)
	}
}

// runBinaryToExit starts the app and waits for it to give up, returning what it logged.
func runBinaryToExit(binary, dsn string, wait time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = appEnv(dsn, addr)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), nil // still running: it started, which is the failure
	}
	return string(out), err
}

// checkSignInReachesOpenPage signs up, opens the security page's live stream, signs in
// again elsewhere, and waits for the stream to tell the page.
func checkSignInReachesOpenPage(t *testing.T, app *runningApp) {
	t.Helper()
	email := fmt.Sprintf("dsn-%d@example.com", time.Now().UnixNano())
	first := postJSON(t, app.base+"/api/auth/sign-up/email", map[string]string{
		"name": "DSN", "email": email, "password": "correct-horse-battery-staple-9"})
	req, _ := http.NewRequest("GET", app.base+"/app/settings/security/events", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: first})
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("live stream: %v %v\n%s", resp, err, app.out)
	}
	defer resp.Body.Close()
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		close(events)
	}()
	// Signing in again until the stream says so: the subscription is made before the
	// headers leave, but a retry costs nothing and keeps the test free of a sleep.
	deadline := time.After(10 * time.Second)
	for {
		postJSON(t, app.base+"/api/auth/sign-in/email", map[string]string{
			"email": email, "password": "correct-horse-battery-staple-9"})
		select {
		case name, open := <-events:
			if !open {
				t.Fatalf("the stream ended:\n%s", app.out)
			}
			if name == "security-changed" {
				return
			}
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatalf("no live update within 10 s of a new sign-in:\n%s", app.out)
		}
	}
}

// postJSON posts body and returns the session cookie the answer sets.
func postJSON(t *testing.T, target string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", target, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", target, resp.StatusCode, answer)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("POST %s set no session cookie: %s", target, answer)
	return ""
}
