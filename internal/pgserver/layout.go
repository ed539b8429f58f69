package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// The app's data folder (DATA_DIR) holds one folder per kind of data: the cluster in
// DATA_DIR/postgres, the location files in DATA_DIR/geoip. The app owns DATA_DIR; as root
// it keeps it traversable for the postgres OS user, who owns only the cluster folder.

const clusterDirName = "postgres"

// ClusterDir is the folder of the cluster inside the app's data folder dataDir.
func ClusterDir(dataDir string) string { return filepath.Join(dataDir, clusterDirName) }

func (s *LocalServer) prepareDirs(dataDir string) error {
	if s.ephemeral {
		if err := s.makeTempDir(); err != nil {
			return err
		}
		// initdb creates data itself, as the server user, inside the dir we chowned to it.
		s.dataDir, s.logPath = filepath.Join(s.tempDir, "data"), filepath.Join(s.tempDir, logFile)
		return nil
	}
	root, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	if err := s.makeRoot(root); err != nil {
		return err
	}
	if err := s.lockRoot(root); err != nil {
		return err
	}
	if err := s.adoptOldLayout(root, nil); err != nil {
		return err
	}
	if err := s.claimRoot(root); err != nil {
		return err
	}
	s.dataDir = ClusterDir(root)
	s.logPath = filepath.Join(s.dataDir, logFile)
	if err := s.makeClusterDir(); err != nil {
		return err
	}
	return s.makeTempDir()
}

// makeRoot creates the data folder and its missing parents, 0755 whatever the umask, so the
// server user can traverse them.
func (s *LocalServer) makeRoot(root string) error {
	if err := reachable(filepath.Dir(root), s.runAs); err != nil {
		return err
	}
	var missing []string
	for p := root; p != filepath.Dir(p); p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o755)
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("cannot create %s: you (uid %d) may not write in %s: set DATA_DIR to a folder of yours",
				missing[i], os.Geteuid(), filepath.Dir(missing[i]))
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}
		if err := os.Chmod(missing[i], 0o755); err != nil {
			return fmt.Errorf("chmod %s: %w", missing[i], err)
		}
	}
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("DATA_DIR %s is a file, not a folder: move it away or set DATA_DIR to a folder", root)
	}
	return nil
}

// lockRoot holds an exclusive lock on the data folder while this server runs, so two
// starts never move or use one cluster at the same time.
func (s *LocalServer) lockRoot(root string) error {
	f, err := os.Open(root)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("DATA_DIR %s is in use by another run of the app (another `make run`?): stop that one first, or set DATA_DIR to another folder", root)
		}
		return fmt.Errorf("lock data dir %s: %w", root, err)
	}
	s.rootLock = f
	return nil
}

func (s *LocalServer) unlockRoot() {
	if s.rootLock != nil {
		_ = s.rootLock.Close() // closing the descriptor releases the lock
		s.rootLock = nil
	}
}

// claimRoot makes the data folder the app's own and traversable by the server user. Only
// root has something to do: the old layout handed DATA_DIR itself (0700) to the server user,
// and once its cluster is in ClusterDir that is what DATA_DIR still looks like. Any other
// folder of the server user's (say its home) is left as it is.
func (s *LocalServer) claimRoot(root string) error {
	if s.runAs == nil {
		return nil
	}
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode().Perm()
	if st.Uid == s.runAs.Uid && mode == 0o700 && exists(filepath.Join(ClusterDir(root), "PG_VERSION")) {
		if err := os.Chown(root, os.Geteuid(), os.Getegid()); err != nil {
			return fmt.Errorf("take back %s from the postgres user: %w", root, err)
		}
		st.Uid, st.Gid, mode = uint32(os.Geteuid()), uint32(os.Getegid()), 0o755
	}
	if !canSearch(mode, st, s.runAs) {
		mode |= 0o011
	}
	if mode != fi.Mode().Perm() {
		if err := os.Chmod(root, mode); err != nil {
			return fmt.Errorf("let the postgres user reach %s: %w", root, err)
		}
	}
	return nil
}

// makeClusterDir creates the cluster folder for the server user, or checks that an existing
// one is that user's (an empty one made by someone else, say `mkdir -p`, is handed over).
func (s *LocalServer) makeClusterDir() error {
	dir := s.dataDir
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		return s.chown(dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot create %s: you (uid %d) may not write in %s: chown it to yourself, or set DATA_DIR to a folder of yours",
			dir, os.Geteuid(), filepath.Dir(dir))
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cluster dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is a file, but the cluster goes there: move it out of DATA_DIR", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	owner := uint32(os.Geteuid())
	if s.runAs != nil {
		owner = s.runAs.Uid
	}
	if !ok || st.Uid == owner {
		return nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 && s.runAs != nil {
		return s.chown(dir)
	}
	name := userName(owner)
	return fmt.Errorf("%s belongs to uid %d, but PostgreSQL runs as %s (uid %d) and must own it: chown -R %s %s, or set DATA_DIR to another folder",
		dir, st.Uid, name, owner, name, dir)
}

// userName names uid for a message, or gives the number when it has no name.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}
