// Package pgserver runs PostgreSQL from the machine's binaries: one local server for
// `make run` and the tests (LocalServer), and primary/standby pairs for the failover tests
// (ReplicaNode). Both start their programs through one runner.
package pgserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the driver the readiness probes connect with
)

const (
	tempPrefix    = "docodego-pg-" // recognisable, so stale dirs of killed runs can be cleaned
	ownerFile     = "owner.pid"    // pid of the Go process that made a temp dir
	logFile       = "docodego-postgres.log"
	readyTimeout  = 30 * time.Second
	stopTimeout   = 15 * time.Second
	pollInterval  = 20 * time.Millisecond
	staleAge      = time.Hour
	maxSocketPath = 107 // sun_path is 108 bytes with the trailing NUL
)

// errExited marks a server that died on its own before Stop or Restart asked it to.
var errExited = errors.New("postgres had already exited")

// runner starts PostgreSQL programs from one bin dir as the server user, writing the
// server's output to one log: tools (initdb, pg_basebackup) to completion, the postmaster
// in the background.
type runner struct {
	bin     string
	runAs   *syscall.Credential // nil runs as the current user
	logPath string
}

// newRunner finds the binaries and the user to run them as.
func newRunner() (runner, error) {
	bin, err := FindPostgresBinaries()
	if err != nil {
		return runner{}, err
	}
	cred, err := serverCredential()
	if err != nil {
		return runner{}, err
	}
	return runner{bin: bin, runAs: cred}, nil
}

// command applies what every child shares: the server user, a private environment, and
// dying with us.
func (r runner) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(r.bin, prog), args...)
	cmd.Dir = "/" // the server user may not be able to read our working dir, and initdb calls getcwd
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: r.runAs,
		// Go sets this after setuid, which would otherwise clear it. It fires when the forking
		// OS thread exits, which the Go runtime only does for goroutines that die locked to one.
		Pdeathsig: syscall.SIGKILL,
		// Own process group: a terminal Ctrl-C reaches only us, and we then stop postgres cleanly.
		Setpgid: true,
	}
	return cmd
}

// run runs a tool such as initdb or pg_basebackup to completion.
func (r runner) run(ctx context.Context, prog string, args ...string) error {
	if out, err := r.command(ctx, prog, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", prog, err, tail(out))
	}
	return nil
}

// startServer launches the postmaster with its output appended to the log (truncated
// first when fresh), then waits until ready answers through probeDSN; a server that fails
// to get ready is killed. The server outlives ctx, which bounds only the wait.
func (r runner) startServer(ctx context.Context, args []string, fresh bool, probeDSN string) (*postmaster, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if fresh {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	logf, err := os.OpenFile(r.logPath, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open postgres log: %w", err)
	}
	defer logf.Close() // the child has its own copy of the descriptor
	if err := r.chown(r.logPath); err != nil {
		return nil, err
	}
	cmd := r.command(context.Background(), "postgres", args...) // not ctx: the server outlives it
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	pm := &postmaster{cmd: cmd, done: make(chan struct{})}
	go func() {
		pm.err = cmd.Wait()
		close(pm.done)
	}()
	err = r.poll(ctx, probeDSN, "postgres to accept connections", pm, func(conn *sql.DB) (bool, error) {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return conn.PingContext(pingCtx) == nil, nil
	})
	if err != nil {
		pm.kill()
		return nil, err
	}
	return pm, nil
}

// poll asks ready through a connection to dsn every pollInterval for up to readyTimeout,
// failing early with the log if pm (when not nil) exits.
func (r runner) poll(ctx context.Context, dsn, what string, pm *postmaster, ready func(*sql.DB) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("wait for %s: %w", what, err)
	}
	defer conn.Close()
	var exited <-chan struct{}
	if pm != nil {
		exited = pm.done
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, err := ready(conn)
		if ok {
			return nil
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("wait for %s: %w; log %s:\n%s", what, err, r.logPath, r.logTail())
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited while waiting for %s (%v); log %s:\n%s", what, pm.err, r.logPath, r.logTail())
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w; log %s:\n%s", what, ctx.Err(), r.logPath, r.logTail())
		case <-tick.C:
		}
	}
}

func (r runner) chown(path string) error {
	if r.runAs == nil {
		return nil
	}
	if err := os.Chown(path, int(r.runAs.Uid), int(r.runAs.Gid)); err != nil {
		return fmt.Errorf("hand %s to the postgres user: %w", path, err)
	}
	return nil
}

func (r runner) logTail() string {
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return tail(b)
}

// postmaster is one run of the server process; a restart makes a new one.
type postmaster struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once err holds the exit status
	err  error
}

// kill ends the server and all its backends with SIGKILL, as a crash of its machine would.
func (pm *postmaster) kill() {
	_ = syscall.Kill(-pm.cmd.Process.Pid, syscall.SIGKILL)
	<-pm.done
}

// stop sends SIGINT, PostgreSQL's "fast" shutdown: roll back open transactions,
// checkpoint, exit. Past stopTimeout the whole process group is killed.
func (pm *postmaster) stop(r runner) error {
	select {
	case <-pm.done:
		return fmt.Errorf("%w (%v); log %s:\n%s", errExited, pm.err, r.logPath, r.logTail())
	default:
	}
	pid := pm.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return fmt.Errorf("signal postgres pid %d: %w", pid, err)
	}
	select {
	case <-pm.done:
		if pm.err != nil {
			return fmt.Errorf("postgres shutdown: %w; log %s:\n%s", pm.err, r.logPath, r.logTail())
		}
		return nil
	case <-time.After(stopTimeout):
		pm.kill()
		return fmt.Errorf("postgres did not stop within %s and was killed; log %s:\n%s", stopTimeout, r.logPath, r.logTail())
	}
}

// childEnv drops PG* variables (PGDATA, PGPORT... would fight our flags) and pins the C locale
// so a LANG naming an uninstalled locale cannot break initdb.
func childEnv() []string {
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	return env
}

// tail keeps the last few KB of output, from a line start, for error messages.
func tail(b []byte) string {
	const max = 2048
	if len(b) > max {
		b = b[len(b)-max:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.TrimRight(string(b), "\n")
}

// dsnValue quotes a key=value DSN value when it holds characters lib/pq would split on.
func dsnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// initdbArgs creates a cluster owned by the postgres role, trusting local connections.
func initdbArgs(dataDir string, noSync bool) []string {
	args := []string{"-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"}
	if noSync {
		args = append(args, "--no-sync")
	}
	return args
}
