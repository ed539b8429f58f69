package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FindPostgresBinaries returns the directory holding the initdb and postgres server binaries.
func FindPostgresBinaries() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, newestFirst("/usr/lib/postgresql/*/bin")...)
	candidates = append(candidates, "/usr/local/pgsql/bin")
	candidates = append(candidates, newestFirst("/opt/homebrew/opt/postgresql@*/bin")...)
	candidates = append(candidates, newestFirst("/usr/local/opt/postgresql@*/bin")...)
	candidates = append(candidates, "/opt/homebrew/opt/postgresql/bin", "/usr/local/opt/postgresql/bin",
		"/opt/homebrew/bin", "/usr/local/bin")
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		// Debian's pg_config from libpq-dev alone answers /usr/bin, which has no server.
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) found: " +
		"install with `apt-get install postgresql` / `brew install postgresql`, " +
		"or set DATABASE_URL to use an existing server")
}

// newestFirst expands a glob whose wildcard is a major version and sorts the highest version first.
func newestFirst(pattern string) []string {
	dirs, _ := filepath.Glob(pattern) // the only error is a malformed pattern, and ours are constant
	prefix := pattern[:strings.Index(pattern, "*")]
	version := func(dir string) float64 {
		rest := strings.TrimPrefix(dir, prefix)
		v, _ := strconv.ParseFloat(rest[:strings.IndexByte(rest, '/')], 64)
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	return dirs
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serverCredential says whom to run PostgreSQL as: nil means the current user, but PostgreSQL
// refuses to run as root, so root hands the server to the `postgres` OS user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, which PostgreSQL refuses, and no `postgres` OS user "+
			"to run it as (create one: useradd --system postgres): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres user gid %q: %w", u.Gid, err)
	}
	// Empty Groups drops root's supplementary groups, so only Gid counts in reachable.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// reachable checks that cred can traverse dir and every existing ancestor; missing ones are
// skipped because we create them 0755. A nil cred is the current user, who needs no check.
func reachable(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			if ok && !canSearch(fi.Mode(), st, cred) {
				return fmt.Errorf("the postgres OS user (uid %d) cannot reach %s: %s is %v, owner uid %d; "+
					"chmod o+x %s or use a directory elsewhere", cred.Uid, dir, p, fi.Mode().Perm(), st.Uid, p)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check access to %s: %w", p, err)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func canSearch(mode fs.FileMode, st *syscall.Stat_t, cred *syscall.Credential) bool {
	switch {
	case st.Uid == cred.Uid:
		return mode&0o100 != 0
	case st.Gid == cred.Gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

// processAlive reports whether pid exists; EPERM means it does but belongs to someone else.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostgres guards against pid reuse (low pids come back after a container restart): a live
// pid from a stale postmaster.pid counts only if it is a postgres process. Without /proc we
// cannot tell, so we assume it is.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return true
	}
	name := strings.TrimSpace(string(comm))
	return strings.HasPrefix(name, "postgres") || strings.HasPrefix(name, "postmaster")
}

// readPid reads the pid on the first line of a pid file (postmaster.pid or our owner file).
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no pid on first line", path)
	}
	return pid, nil
}

func (s *LocalServer) prepareDirs(dataDir string) error {
	if s.ephemeral {
		if err := s.makeTempDir(); err != nil {
			return err
		}
		// initdb creates data itself, as the server user, inside the dir we chowned to it.
		s.dataDir, s.logPath = filepath.Join(s.tempDir, "data"), filepath.Join(s.tempDir, logFile)
		return nil
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	s.dataDir, s.logPath = abs, filepath.Join(abs, logFile)
	if err := s.makeDataDir(); err != nil {
		return err
	}
	return s.makeTempDir()
}

// makeDataDir creates the persistent cluster dir and its missing parents. Parents are made
// 0755 whatever the umask, so the server user can traverse them.
func (s *LocalServer) makeDataDir() error {
	if err := reachable(filepath.Dir(s.dataDir), s.runAs); err != nil {
		return err
	}
	var missing []string
	for p := filepath.Dir(s.dataDir); p != filepath.Dir(p); p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}
		if err := os.Chmod(missing[i], 0o755); err != nil {
			return fmt.Errorf("chmod %s: %w", missing[i], err)
		}
	}
	err := os.Mkdir(s.dataDir, 0o700)
	switch {
	case err == nil:
		return s.chown(s.dataDir)
	case errors.Is(err, fs.ErrExist):
		return s.checkDataDirOwner()
	default:
		return fmt.Errorf("create data dir: %w", err)
	}
}

// checkDataDirOwner hands an empty existing dir (say, from `mkdir -p .data`) to the server user
// but refuses to take over a non-empty dir someone else owns.
func (s *LocalServer) checkDataDirOwner() error {
	fi, err := os.Stat(s.dataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data dir %s is not a directory", s.dataDir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || s.runAs == nil || st.Uid == s.runAs.Uid {
		return nil
	}
	if entries, err := os.ReadDir(s.dataDir); err == nil && len(entries) == 0 {
		return s.chown(s.dataDir)
	}
	return fmt.Errorf("data dir %s is owned by uid %d but the server runs as uid %d: chown -R postgres: %s",
		s.dataDir, st.Uid, s.runAs.Uid, s.dataDir)
}

// makeTempDir makes the short private dir that holds the socket (and, for Ephemeral, the
// cluster), stamped with our pid so a later run can tell whether it is stale.
func (s *LocalServer) makeTempDir() error {
	if err := reachable(os.TempDir(), s.runAs); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(os.TempDir(), tempPrefix)
	if err != nil {
		return fmt.Errorf("create postgres temp dir: %w", err)
	}
	s.tempDir, s.sockDir = dir, dir // set first so a failure below still removes it
	if n := len(dir) + len("/.s.PGSQL.") + len(strconv.Itoa(localPort)); n > maxSocketPath {
		return fmt.Errorf("socket path in %s would be %d bytes, over the %d-byte limit: set TMPDIR to a shorter dir",
			dir, n, maxSocketPath)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("write owner pid: %w", err)
	}
	return s.chown(dir)
}

func (s *LocalServer) removeTempDir() error {
	if s.tempDir == "" {
		return nil
	}
	if err := os.RemoveAll(s.tempDir); err != nil {
		return fmt.Errorf("remove postgres temp dir: %w", err)
	}
	return nil
}

// removeStaleTempDirs deletes temp dirs left by runs that were killed before Stop. The age
// threshold spares dirs of a run that is still starting up in another pid namespace.
func (s *LocalServer) removeStaleTempDirs() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		dir := filepath.Join(os.TempDir(), e.Name())
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < staleAge {
			continue
		}
		if pid, err := readPid(filepath.Join(dir, ownerFile)); err == nil && processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			s.log.Warn("local postgres: remove stale temp dir", "dir", dir, "err", err)
			continue
		}
		s.log.Info("local postgres: removed stale temp dir", "dir", dir)
	}
}

// clearStalePid removes a postmaster.pid left by a killed run, which would otherwise make
// postgres refuse to start, but never one of a server that is still running.
func (s *LocalServer) clearStalePid() error {
	path := filepath.Join(s.dataDir, "postmaster.pid")
	pid, err := readPid(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && processAlive(pid) && isPostgres(pid) {
		return fmt.Errorf("data dir %s is in use by running postgres pid %d (another `make run`?)", s.dataDir, pid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale postmaster.pid: %w", err)
	}
	s.log.Info("local postgres: removed stale postmaster.pid", "data", s.dataDir, "pid", pid)
	return nil
}

func (s *LocalServer) chown(path string) error {
	if s.runAs == nil {
		return nil
	}
	if err := os.Chown(path, int(s.runAs.Uid), int(s.runAs.Gid)); err != nil {
		return fmt.Errorf("hand %s to the postgres user: %w", path, err)
	}
	return nil
}
