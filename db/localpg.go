package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the driver the readiness probe connects with
)

const (
	localPort     = 5432           // only names the socket file: the server has no TCP listener
	tempPrefix    = "docodego-pg-" // recognisable, so stale dirs of killed runs can be cleaned
	ownerFile     = "owner.pid"    // pid of the Go process that made a temp dir
	logFile       = "docodego-postgres.log"
	readyTimeout  = 30 * time.Second
	stopTimeout   = 15 * time.Second
	staleAge      = time.Hour
	maxSocketPath = 107 // sun_path is 108 bytes with the trailing NUL
)

// errExited marks a server that died on its own before Stop or Restart asked it to.
var errExited = errors.New("postgres had already exited")

// LocalOptions says where and how to run a local PostgreSQL server.
type LocalOptions struct {
	DataDir   string       // cluster directory; created with initdb if empty/missing. Persistent for the app.
	Ephemeral bool         // tests: initdb --no-sync, fsync=off, synchronous_commit=off, full_page_writes=off; remove everything on Stop
	Logger    *slog.Logger // may be nil
}

// LocalServer is a running PostgreSQL server owned by this process.
type LocalServer struct {
	bin       string
	dataDir   string
	sockDir   string
	tempDir   string // removed on Stop: the socket dir, which for Ephemeral also holds data and log
	logPath   string
	ephemeral bool
	runAs     *syscall.Credential // nil runs as the current user
	log       *slog.Logger

	mu      sync.Mutex
	pm      *postmaster
	stopped bool
}

// postmaster is one run of the server process; Restart makes a new one.
type postmaster struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once err holds the exit status
	err  error
}

// StartLocal runs initdb if DataDir holds no cluster yet, starts the server and waits until it
// accepts connections. DataDir and Ephemeral are exclusive, because Stop deletes an ephemeral
// cluster and must never delete a dir the caller named.
func StartLocal(ctx context.Context, opt LocalOptions) (*LocalServer, error) {
	if opt.Ephemeral == (opt.DataDir != "") {
		return nil, errors.New("start local postgres: set exactly one of DataDir and Ephemeral")
	}
	bin, err := FindPostgresBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	s := &LocalServer{bin: bin, ephemeral: opt.Ephemeral, runAs: cred, log: opt.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.removeStaleTempDirs()
	err = s.prepareDirs(opt.DataDir)
	if err == nil {
		err = s.initdb(ctx)
	}
	if err == nil {
		err = s.start(ctx)
	}
	if err != nil {
		if rmErr := s.removeTempDir(); rmErr != nil {
			s.log.Warn("local postgres: cleanup after failed start", "err", rmErr)
		}
		return nil, err
	}
	return s, nil
}

// DSN returns a lib/pq key=value DSN for dbname over the server's Unix socket.
func (s *LocalServer) DSN(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		dsnValue(s.sockDir), localPort, dsnValue(dbname))
}

// Stop shuts the server down in fast mode, waits for it to exit and removes its temp dirs.
func (s *LocalServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	return errors.Join(s.stopServer(), s.removeTempDir())
}

// Restart stops the server and starts it again on the same data and socket; a server that
// already died (say, killed by a test) is simply started again.
func (s *LocalServer) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("restart local postgres: already stopped")
	}
	if err := s.stopServer(); err != nil && !errors.Is(err, errExited) {
		return fmt.Errorf("restart local postgres: %w", err)
	}
	return s.start(ctx)
}

func (s *LocalServer) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(s.dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("data dir %s is not empty but holds no cluster (no PG_VERSION): empty it or use another dir", s.dataDir)
	}
	args := []string{"-D", s.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"}
	if s.ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"), args...)
	s.setupChild(cmd)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", s.dataDir, err, tail(out))
	}
	s.log.Info("local postgres: initdb done", "data", s.dataDir, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// start launches the postmaster and waits until it accepts connections. ctx bounds only the
// wait: the server outlives it, so the command deliberately isn't exec.CommandContext.
func (s *LocalServer) start(ctx context.Context) error {
	if err := s.clearStalePid(); err != nil {
		return err
	}
	_ = os.Rename(s.logPath, s.logPath+".1") // keep the previous run's log; there may be none
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	defer logf.Close() // the child has its own copy of the descriptor
	if err := s.chown(s.logPath); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), s.serverArgs()...)
	s.setupChild(cmd)
	cmd.Stdout, cmd.Stderr = logf, logf
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	pm := &postmaster{cmd: cmd, done: make(chan struct{})}
	go func() {
		pm.err = cmd.Wait()
		close(pm.done)
	}()
	if err := s.waitReady(ctx, pm); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-pm.done
		return err
	}
	s.pm = pm
	s.log.Info("local postgres: ready", "socket", s.sockDir, "data", s.dataDir, "pid", cmd.Process.Pid,
		"elapsed", time.Since(begin).Round(time.Millisecond))
	return nil
}

func (s *LocalServer) serverArgs() []string {
	args := []string{"-D", s.dataDir, "-k", s.sockDir, "-p", strconv.Itoa(localPort), "-c", "listen_addresses="}
	if s.ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=200")
	}
	return args
}

// setupChild applies what initdb and postgres share: the server user, a private environment,
// and dying with us.
func (s *LocalServer) setupChild(cmd *exec.Cmd) {
	cmd.Dir = "/" // the server user may not be able to read our working dir, and initdb calls getcwd
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: s.runAs,
		// Go sets this after setuid, which would otherwise clear it. It fires when the forking
		// OS thread exits, which the Go runtime only does for goroutines that die locked to one.
		Pdeathsig: syscall.SIGKILL,
		// Own process group: a terminal Ctrl-C reaches only us, and we then stop postgres cleanly.
		Setpgid: true,
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

// waitReady polls with real connections until the server answers, failing early with its log
// if it exits.
func (s *LocalServer) waitReady(ctx context.Context, pm *postmaster) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	conn, err := sql.Open("postgres", s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("open readiness probe: %w", err)
	}
	defer conn.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pingCtx, cancelPing := context.WithTimeout(ctx, time.Second)
		err = conn.PingContext(pingCtx)
		cancelPing()
		if err == nil {
			return nil
		}
		select {
		case <-pm.done:
			return fmt.Errorf("postgres exited during startup (%v); log %s:\n%s", pm.err, s.logPath, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w (last error: %v); log %s:\n%s", ctx.Err(), err, s.logPath, s.logTail())
		case <-tick.C:
		}
	}
}

// stopServer sends SIGINT, PostgreSQL's "fast" shutdown: roll back open transactions,
// checkpoint, exit. Past stopTimeout the whole process group is killed.
func (s *LocalServer) stopServer() error {
	pm := s.pm
	s.pm = nil
	if pm == nil {
		return nil
	}
	select {
	case <-pm.done:
		return fmt.Errorf("%w (%v); log %s:\n%s", errExited, pm.err, s.logPath, s.logTail())
	default:
	}
	pid := pm.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return fmt.Errorf("signal postgres pid %d: %w", pid, err)
	}
	select {
	case <-pm.done:
		if pm.err != nil {
			return fmt.Errorf("postgres shutdown: %w; log %s:\n%s", pm.err, s.logPath, s.logTail())
		}
		return nil
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-pm.done
		return fmt.Errorf("postgres did not stop within %s and was killed; log %s:\n%s", stopTimeout, s.logPath, s.logTail())
	}
}

func (s *LocalServer) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return tail(b)
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
