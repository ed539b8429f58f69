// Package betterauth_test runs the real better-auth client (npm better-auth, pinned in
// package-lock.json) against the whole app: `node --test` walks seed 000's flow.
package betterauth_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/internal/testserver"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestBetterAuthClient(t *testing.T) {
	if _, err := os.Stat("node_modules/better-auth/package.json"); err != nil {
		t.Fatal("better-auth is not installed: run `npm ci` in e2e/betterauth (.ci/run does it)")
	}
	srv := testserver.Start(t, testserver.Options{})
	// A second instance on the same database whose re-authentication window is a
	// nanosecond: any session is stale by its next request, so the flow can check the
	// answer to a stale revoke through the real client without waiting ten minutes.
	staleCfg := auth.DefaultConfig()
	staleCfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	staleCfg.ReauthWindow = time.Nanosecond
	stale := testserver.Start(t, testserver.Options{DSN: srv.DSN, Auth: &staleCfg})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "flow.test.mjs")
	cmd.Env = append(os.Environ(), "BETTER_AUTH_E2E_URL="+srv.URL,
		"BETTER_AUTH_E2E_STALE_URL="+stale.URL, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s\nserver log:\n%s", err, out, srv.Logs())
	}
	t.Logf("%s", out)
}
