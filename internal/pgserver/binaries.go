package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
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

// ServerCredential says whom to run PostgreSQL as (nil: the current user), for suites that
// start it through another program (Patroni in ha/).
func ServerCredential() (*syscall.Credential, error) { return serverCredential() }

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
