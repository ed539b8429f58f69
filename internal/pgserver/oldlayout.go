package pgserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Before DATA_DIR had a folder per kind of data, the cluster was DATA_DIR itself
// (DATA_DIR/PG_VERSION). Such a cluster is moved into DATA_DIR/postgres at start, by steps
// that each leave a state the next start can tell apart and finish:
//
//  1. make DATA_DIR/.postgres-moving (its presence says a move is under way);
//  2. rename each cluster entry of DATA_DIR into it, PG_VERSION last, so while PG_VERSION
//     is still in DATA_DIR the rest may be in either place, and once it is in the staging
//     folder everything is;
//  3. rename the staging folder to DATA_DIR/postgres.
//
// Each step is a rename within one file system, which is atomic: a crash leaves every file
// whole in one place or the other, and nothing is ever deleted but an empty folder.

// stagingDirName is where an old-layout cluster is gathered before it becomes
// DATA_DIR/postgres.
const stagingDirName = ".postgres-moving"

// notCluster names the entries of an old-layout DATA_DIR that stay where they are.
func notCluster(name string) bool {
	switch name {
	case clusterDirName, stagingDirName, "geoip":
		return true
	}
	return false
}

// adoptOldLayout moves a cluster of the old layout in root into ClusterDir(root), or
// finishes a move a crash interrupted. after, when set, is called after each step that
// changes the disk; an error from it stops the move there (tests use it as a crash).
func (s *LocalServer) adoptOldLayout(root string, after func(step string) error) error {
	if after == nil {
		after = func(string) error { return nil }
	}
	staging, target := filepath.Join(root, stagingDirName), ClusterDir(root)
	oldHere := exists(filepath.Join(root, "PG_VERSION"))
	resumed := exists(staging)
	if !oldHere && !resumed {
		return nil
	}
	if !oldHere && !exists(filepath.Join(staging, "PG_VERSION")) {
		return fmt.Errorf("%s is left from an interrupted move of the cluster but holds no cluster (no PG_VERSION), nor does %s: "+
			"look inside, keep what you need elsewhere and remove it", staging, root)
	}
	if entries, err := os.ReadDir(target); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s holds a cluster of the old layout and %s holds another: move one of them out of %s (nothing was changed)",
			root, target, root)
	}
	if oldHere {
		if err := s.clearStalePid(root); err != nil {
			return err
		}
	}
	if err := s.gather(root, staging, oldHere, after); err != nil {
		return fmt.Errorf("move the cluster from %s into %s (the next start finishes it): %w", root, target, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("move the cluster into %s: %w", target, err) // only an empty folder is removed
	}
	if err := os.Rename(staging, target); err != nil {
		return fmt.Errorf("move the cluster into %s: %w", target, err)
	}
	if err := syncDir(root); err != nil {
		return err
	}
	if err := after("rename"); err != nil {
		return err
	}
	s.log.Info("local postgres: moved the cluster from DATA_DIR into its own folder (the layout before DATA_DIR/postgres); nothing was removed",
		"from", root, "to", target, "resumed_interrupted_move", resumed)
	return nil
}

// gather makes the staging folder and renames every cluster entry of root into it.
func (s *LocalServer) gather(root, staging string, oldHere bool, after func(string) error) error {
	if err := os.Mkdir(staging, 0o700); err == nil {
		if err := s.chown(staging); err != nil {
			return err
		}
		if err := after("staging"); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if oldHere {
		entries, err := os.ReadDir(root)
		if err != nil {
			return err
		}
		var names []string
		for _, e := range entries {
			if !notCluster(e.Name()) && e.Name() != "PG_VERSION" {
				names = append(names, e.Name())
			}
		}
		names = append(names, "PG_VERSION")
		for _, name := range names {
			from, to := filepath.Join(root, name), filepath.Join(staging, name)
			if exists(to) {
				return fmt.Errorf("both %s and %s exist: keep the one you need and move the other out of %s", from, to, root)
			}
			if err := os.Rename(from, to); err != nil {
				return err
			}
			if err := after("move " + name); err != nil {
				return err
			}
		}
	}
	return errors.Join(syncDir(staging), syncDir(root))
}

// syncDir makes the renames inside dir durable before the next step relies on them.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
