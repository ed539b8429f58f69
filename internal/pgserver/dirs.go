package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

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

// makeTempDir makes the short private dir that holds the socket (and, for Ephemeral, the
// cluster).
func (s *LocalServer) makeTempDir() error {
	dir, err := s.makeOwnedTempDir()
	s.tempDir, s.sockDir = dir, dir // set even on error, so a failure below still removes it
	return err
}

// makeOwnedTempDir makes a temp dir for a server's socket (and maybe its cluster), stamped
// with our pid so a later run can tell whether it is stale, and handed to the server user.
// On error a non-empty dir is returned for the caller to remove.
func (r runner) makeOwnedTempDir() (string, error) {
	if err := reachable(os.TempDir(), r.runAs); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(os.TempDir(), tempPrefix)
	if err != nil {
		return "", fmt.Errorf("create postgres temp dir: %w", err)
	}
	// The socket name holds the port, up to 5 digits.
	if n := len(dir) + len("/.s.PGSQL.65535"); n > maxSocketPath {
		return dir, fmt.Errorf("socket path in %s would be %d bytes, over the %d-byte limit: set TMPDIR to a shorter dir",
			dir, n, maxSocketPath)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return dir, fmt.Errorf("write owner pid: %w", err)
	}
	return dir, r.chown(dir)
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

// clearStalePid removes a postmaster.pid in dir left by a killed run, which would otherwise
// make postgres refuse to start, but never one of a server that is still running.
func (s *LocalServer) clearStalePid(dir string) error {
	path := filepath.Join(dir, "postmaster.pid")
	pid, err := readPid(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && processAlive(pid) && isPostgres(pid) {
		return fmt.Errorf("the cluster in %s is in use by running postgres pid %d (another `make run`?): stop that one first", dir, pid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale postmaster.pid: %w", err)
	}
	s.log.Info("local postgres: removed stale postmaster.pid", "data", dir, "pid", pid)
	return nil
}
