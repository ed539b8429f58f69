package firstrun_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedUser is whom root runs the unprivileged first run as: it exists wherever the
// PostgreSQL server is installed (Debian's postgresql package makes it).
const unprivilegedUser = "postgres"

// newcomerEnv is the test's environment without what a newcomer's shell would not have:
// our database and data settings, PG* variables, and the make variables of `make test`.
func newcomerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "DATABASE_URL", name == "DATA_DIR", name == "GEOIP_DIR", strings.HasPrefix(name, "PG"),
			name == "MAKEFLAGS", name == "MAKELEVEL", name == "MFLAGS":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// self runs as the test's own user, in its own environment.
func self(t *testing.T) user {
	t.Helper()
	name := "self"
	if u, err := osuser.Current(); err == nil {
		name = u.Username
	}
	out, err := exec.Command("go", "env", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env GOFLAGS: %v", err)
	}
	return user{name: name, env: append(newcomerEnv(), "GOFLAGS="+buildFlags+" "+strings.TrimSpace(string(out)))}
}

// buildFlags are added to every run's GOFLAGS. Without -trimpath the build cache keys each
// package by its folder, so every fresh clone would compile all of the app's own packages
// again; with it the clones of one suite run, and of the next, share one build.
const buildFlags = "-trimpath"

// unprivileged is a user without root's powers, with a home of its own (Go's build and
// module caches, npm's cache) in a temp folder. Go works offline: its modules come from a
// module proxy folder made of the test's own module cache (hard links, not copies).
func unprivileged(t *testing.T, repo string) user {
	t.Helper()
	pw, err := osuser.Lookup(unprivilegedUser)
	if err != nil {
		t.Fatalf("no %s OS user to run the unprivileged first run as: %v", unprivilegedUser, err)
	}
	uid, _ := strconv.ParseUint(pw.Uid, 10, 32)
	gid, _ := strconv.ParseUint(pw.Gid, 10, 32)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	home := filepath.Join(reachableDir(t), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	proxy := moduleProxy(t, repo)
	// Go's build and module caches outlive the test, as a user's own do: a cold build of
	// every dependency is minutes of CPU, and a run is a first run by its clone and its
	// .data, not by its compiler. Keyed by uid, in the temp folder, made for that user.
	gocache := userCache(t, "gocache", cred)
	gomod := userCache(t, "gomod", cred)
	var env []string
	for _, kv := range newcomerEnv() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "HOME", "USER", "LOGNAME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
			"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "GONOSUMDB", "GOSUMDB", "GOTOOLCHAIN",
			"npm_config_cache", "NPM_CONFIG_CACHE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home, "USER="+pw.Username, "LOGNAME="+pw.Username,
		"GOPATH="+filepath.Join(home, "go"),
		"GOCACHE="+gocache, "GOMODCACHE="+gomod,
		"GOPROXY=file://"+proxy, "GOSUMDB=off", "GOTOOLCHAIN=local",
		// The module cache is read-only by default, which t.TempDir's cleanup cannot remove.
		"GOFLAGS=-modcacherw "+buildFlags,
	)
	return user{name: pw.Username, cred: cred, env: env}
}

// userCache is the folder os.TempDir()/docodego-firstrun-NAME-UID owned by cred's user,
// made when missing; anything else at that name is refused.
func userCache(t *testing.T, name string, cred *syscall.Credential) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "docodego-firstrun-"+name+"-"+strconv.FormatUint(uint64(cred.Uid), 10))
	if err := os.Mkdir(dir, 0o700); err == nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || st.Uid != cred.Uid {
		t.Fatalf("%s is not a folder of uid %d: remove it", dir, cred.Uid)
	}
	return dir
}

func (u user) uid() uint32 {
	if u.cred != nil {
		return u.cred.Uid
	}
	return uint32(os.Geteuid())
}

// serverUID is whom the app runs PostgreSQL as: PostgreSQL refuses root, so root's app
// hands it to the postgres OS user.
func (u user) serverUID(t *testing.T) uint32 {
	t.Helper()
	if u.uid() != 0 {
		return u.uid()
	}
	pw, err := osuser.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(pw.Uid, 10, 32)
	return uint32(uid)
}

// moduleProxy makes a GOPROXY folder of the test's module cache download folder (which is
// in the proxy layout), readable by anyone.
func moduleProxy(t *testing.T, repo string) string {
	t.Helper()
	run(t, repo, "go", "mod", "download") // what the app needs, should this suite run alone first
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	dst := filepath.Join(reachableDir(t), "goproxy")
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if strings.HasSuffix(p, ".lock") || strings.Contains(rel, "sumdb") {
			return nil
		}
		if err := os.Link(p, to); err == nil {
			return nil
		}
		return copyFile(p, to)
	})
	if err != nil {
		t.Fatalf("module proxy from %s: %v", src, err)
	}
	return dst
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// repository is the checkout this test runs in and its current commit.
func repository(t *testing.T) (root, head string) {
	t.Helper()
	root = run(t, ".", "git", "rev-parse", "--show-toplevel")
	return root, run(t, root, "git", "rev-parse", "HEAD")
}

// clone makes a fresh clone of repo at head, as a newcomer's `git clone`, in a folder the
// postgres OS user can reach, owned by u. Uncommitted changes are not in it, by design.
func clone(t *testing.T, repo, head string, u user) string {
	t.Helper()
	dir := filepath.Join(reachableDir(t), "app")
	run(t, ".", "git", "clone", "-q", "--no-checkout", repo, dir)
	run(t, dir, "git", "checkout", "-q", "--detach", head)
	if u.cred != nil {
		err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, int(u.cred.Uid), int(u.cred.Gid))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// reachableDir is a t.TempDir others can traverse: t.TempDir and its parent are 0700,
// which the app (as root) rightly refuses for the postgres OS user.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
