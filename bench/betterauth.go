package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
)

// The better-auth comparison rows (issue 15: our list at least 6x better-auth's
// list-sessions on the same mix): better-auth's own server (bench/betterauth, Node, its
// exact versions pinned in package-lock.json) on the same cluster, with its defaults for a
// PostgreSQL deployment (no cookie cache, no secondary storage: every request reads the
// database, as ours does), one Node process. Only its rate limiter is off (server.mjs).
const (
	betterAuthPkg      = "bench/betterauth" // from the repository root, where make bench runs
	betterAuthListPath = "/api/auth/list-sessions"
)

// serverStartLine begins the line server.mjs logs when it listens.
const serverStartLine = "better-auth listening on "

// betterAuthProcess is better-auth's server on loopback.
type betterAuthProcess struct {
	cmd *exec.Cmd
	on  target
	log string // its stdout and stderr
}

// startBetterAuth installs the Node package if needed (npm ci), creates better-auth's
// tables with its own migrator, seeds them, starts the server and checks that seeded
// cookies list their sessions. Without node or npm it says so and returns nil: the rows
// are skipped.
func startBetterAuth(ctx context.Context, pgCfg pq.Config, dir string) (*betterAuthProcess, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			logf("SKIPPING the better-auth rows: %s is not installed (apt-get install -y nodejs npm)", tool)
			return nil, nil
		}
	}
	pkg, err := filepath.Abs(betterAuthPkg)
	if err != nil {
		return nil, err
	}
	if err := installBetterAuth(ctx, pkg); err != nil {
		return nil, err
	}
	betterAuthDSN := fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", pgCfg.Host, pgCfg.Port, betterAuthDB)
	betterAuthConfig, err := db.ParseConfig(betterAuthDSN)
	if err != nil {
		return nil, err
	}
	if err := db.EnsureDatabase(ctx, betterAuthConfig); err != nil {
		return nil, err
	}
	pgURL := (&url.URL{Scheme: "postgresql", User: url.User("postgres"), Path: "/" + betterAuthDB,
		RawQuery: url.Values{"host": {pgCfg.Host}, "port": {strconv.Itoa(int(pgCfg.Port))}}.Encode()}).String()
	addr := freeAddr()
	_, port, _ := strings.Cut(addr, ":")
	env := append(os.Environ(), "DATABASE_URL="+pgURL, "BETTER_AUTH_SECRET="+betterAuthSecret, "PORT="+port, "NODE_ENV=production")

	logf("better-auth: creating its tables (its migrator) and seeding them")
	migrate := exec.CommandContext(ctx, "node", "server.mjs", "migrate")
	migrate.Dir, migrate.Env = pkg, env
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("better-auth migrate: %w\n%s", err, out)
	}
	if err := seedBetterAuth(ctx, betterAuthDSN); err != nil {
		return nil, err
	}

	logPath := filepath.Join(dir, "betterauth.log")
	cmd := exec.Command("node", "server.mjs")
	cmd.Dir, cmd.Env = pkg, env
	if err := startLogged(cmd, logPath); err != nil {
		return nil, err
	}
	p := &betterAuthProcess{cmd: cmd, on: target{base: "http://" + addr, pid: cmd.Process.Pid}, log: logPath}
	if err := p.check(ctx); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("better-auth: %w\n%s", err, log)
	}
	return p, nil
}

// installBetterAuth runs npm ci in pkg unless node_modules already holds every dependency
// at the version package.json pins.
func installBetterAuth(ctx context.Context, pkg string) error {
	var manifest struct{ Dependencies map[string]string }
	if err := readJSON(filepath.Join(pkg, "package.json"), &manifest); err != nil {
		return err
	}
	installed := true
	for name, version := range manifest.Dependencies {
		var dep struct{ Version string }
		if readJSON(filepath.Join(pkg, "node_modules", name, "package.json"), &dep) != nil || dep.Version != version {
			installed = false
		}
	}
	if installed {
		return nil
	}
	logf("better-auth: npm ci in %s", betterAuthPkg)
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = pkg
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", betterAuthPkg, err, out)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// check waits for the server, then asks list-sessions as a sample of the list users: each
// must get 200 and its 50 sessions, and a cookie with a wrong signature 401. Anything else
// stops the bench before a number is reported.
func (p *betterAuthProcess) check(ctx context.Context) error {
	list := func(cookie string) (int, []json.RawMessage, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.on.base+betterAuthListPath, nil)
		req.Header.Set("Cookie", betterAuthCookie+"="+cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var sessions []json.RawMessage
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(body, &sessions); err != nil {
				return 0, nil, fmt.Errorf("list-sessions: %w: %.200s", err, body)
			}
		}
		return resp.StatusCode, sessions, nil
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, _, err := list(""); err == nil {
			break
		} else if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not answering: %w", err)
		}
	}
	for k := range 20 {
		i := k * listUserCount / 20
		u, j := listUser(i), k%50
		status, sessions, err := list(betterAuthCookieValue(u, j))
		if err != nil {
			return err
		}
		if status != 200 || len(sessions) != liveSessions(u) {
			return fmt.Errorf("list-sessions as user %d (session %d): %d with %d sessions, want 200 with %d", u, j, status, len(sessions), liveSessions(u))
		}
	}
	forged := appCookieValue(listUser(0), 0) + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"
	if status, _, err := list(forged); err != nil || status != 401 {
		return fmt.Errorf("list-sessions with a wrong signature: %d (%v), want 401", status, err)
	}
	return nil
}

func (p *betterAuthProcess) stop() { stopProcess(p.cmd) }

// complaints is what the server logged after its start line (errors it answered 500 for,
// say), at most 20 lines: printed under the table, since the rows count only how many
// answers were not 2xx.
func (p *betterAuthProcess) complaints() string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return l == "" || strings.HasPrefix(l, serverStartLine) })
	return strings.Join(lines[:min(len(lines), 20)], "\n")
}
