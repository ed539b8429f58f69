package pgserver

import (
	"database/sql"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLocalEphemeral(t *testing.T) {
	t.Parallel()
	stale := makeOldTempDir(t, deadPid(t))
	live := makeOldTempDir(t, os.Getpid())

	// A setting of the caller's own: the bench's statement timings.
	s, err := StartLocal(t.Context(), LocalOptions{Ephemeral: true, Logger: testLogger(t),
		Settings: []string{"shared_preload_libraries=pg_stat_statements"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp dir %s of a dead run was not removed (stat: %v)", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("temp dir %s of a live process was removed: %v", live, err)
	}

	conn := openLocal(t, s)
	var one int
	if err := conn.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	for setting, want := range map[string]string{"fsync": "off", "max_connections": "200", "listen_addresses": "",
		"shared_preload_libraries": "pg_stat_statements"} {
		var got string
		if err := conn.QueryRow("SELECT current_setting($1)", setting).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", setting, got, err, want)
		}
	}
	if _, err := conn.Exec(`CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	// Loaded at start, the extension records statements (without it, CREATE EXTENSION works
	// but reading the view fails).
	var calls int
	if _, err := conn.Exec(`CREATE EXTENSION pg_stat_statements`); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(`SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE 'INSERT INTO t%'`).Scan(&calls); err != nil || calls != 1 {
		t.Errorf("pg_stat_statements calls of the INSERT = %d, %v; want 1", calls, err)
	}

	if err := s.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, openLocal(t, s)); n != 2 {
		t.Errorf("after Restart: %d rows, want 2", n)
	}

	dir := s.tempDir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stop left %s behind (stat: %v)", dir, err)
	}
}

func TestLocalPersistent(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), "app", ".data")
	opt := LocalOptions{DataDir: dataDir, Logger: testLogger(t)}

	s, err := StartLocal(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openLocal(t, s).Exec(`CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	sockDir := s.sockDir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sockDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stop left socket dir %s behind (stat: %v)", sockDir, err)
	}

	// What a kill -9 of the app leaves behind: a postmaster.pid naming a dead process.
	pidFile := filepath.Join(ClusterDir(dataDir), "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(deadPid(t))+"\n"+ClusterDir(dataDir)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = StartLocal(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if n := countRows(t, openLocal(t, s)); n != 2 {
		t.Errorf("after Stop and StartLocal: %d rows, want 2", n)
	}
	if _, err := StartLocal(t.Context(), opt); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second StartLocal on a data dir in use: err = %v, want one saying it is in use", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ClusterDir(dataDir), "PG_VERSION")); err != nil {
		t.Errorf("Stop removed the persistent cluster: %v", err)
	}
}

func TestLocalUnreachableDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		// Only root hands the server to another user, so only root can hit this.
		return
	}
	private := t.TempDir() // 0700 and owned by root
	_, err := StartLocal(t.Context(), LocalOptions{DataDir: filepath.Join(private, "data")})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("err = %v, want one saying the postgres user cannot reach the dir", err)
	}
}

func TestLocalFindPostgresBinaries(t *testing.T) {
	dir, err := FindPostgresBinaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if !isExecutable(filepath.Join(dir, name)) {
			t.Errorf("%s has no executable %s", dir, name)
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if want := strings.TrimSpace(string(out)); dir != want {
			t.Errorf("FindPostgresBinaries() = %s, pg_config --bindir says %s", dir, want)
		}
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func openLocal(t *testing.T, s *LocalServer) *sql.DB {
	t.Helper()
	conn, err := sql.Open("postgres", s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func countRows(t *testing.T, conn *sql.DB) int {
	t.Helper()
	var n int
	if err := conn.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deadPid returns the pid of a process that has exited, as a killed run would leave.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// makeOldTempDir fakes a launcher temp dir made two hours ago by pid.
func makeOldTempDir(t *testing.T, pid int) string {
	t.Helper()
	dir, err := os.MkdirTemp(os.TempDir(), tempPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	return dir
}

// reachableTempDir is a t.TempDir the postgres OS user can traverse: t.TempDir and its
// parent are 0700, which is exactly what the launcher refuses.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
