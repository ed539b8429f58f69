package pgserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// localPort only names the socket file: the local server has no TCP listener.
const localPort = 5432

// LocalOptions says where and how to run a local PostgreSQL server.
type LocalOptions struct {
	DataDir   string       // the app's data folder: the cluster is ClusterDir(DataDir), created with initdb when missing. Persistent.
	Ephemeral bool         // tests: initdb --no-sync, fsync=off, synchronous_commit=off, full_page_writes=off; remove everything on Stop
	Logger    *slog.Logger // may be nil
	// Settings are extra server settings, "name=value", each passed as -c: the bench loads
	// pg_stat_statements this way (shared_preload_libraries) on its throwaway cluster only.
	Settings []string
}

// LocalServer is a running PostgreSQL server owned by this process.
type LocalServer struct {
	runner
	dataDir   string
	sockDir   string
	tempDir   string   // removed on Stop: the socket dir, which for Ephemeral also holds data and log
	rootLock  *os.File // the data folder, locked while this server runs (not for Ephemeral)
	ephemeral bool
	settings  []string
	log       *slog.Logger

	mu      sync.Mutex
	pm      *postmaster
	stopped bool
}

// StartLocal runs initdb if DataDir holds no cluster yet (moving one of the old layout,
// DataDir itself, into its folder first), starts the server and waits until it
// accepts connections. DataDir and Ephemeral are exclusive, because Stop deletes an ephemeral
// cluster and must never delete a dir the caller named.
func StartLocal(ctx context.Context, opt LocalOptions) (*LocalServer, error) {
	if opt.Ephemeral == (opt.DataDir != "") {
		return nil, errors.New("start local postgres: set exactly one of DataDir and Ephemeral")
	}
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	s := &LocalServer{runner: r, ephemeral: opt.Ephemeral, settings: opt.Settings, log: opt.Logger}
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
		s.unlockRoot()
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
	defer s.unlockRoot()
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
		return fmt.Errorf("%s holds files but no PostgreSQL cluster (no PG_VERSION): move them out, or set DATA_DIR to another folder", s.dataDir)
	}
	start := time.Now()
	if err := s.run(ctx, "initdb", initdbArgs(s.dataDir, s.ephemeral)...); err != nil {
		return fmt.Errorf("create cluster in %s: %w", s.dataDir, err)
	}
	s.log.Info("local postgres: initdb done", "data", s.dataDir, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// start launches the postmaster and waits until it accepts connections.
func (s *LocalServer) start(ctx context.Context) error {
	if err := s.clearStalePid(s.dataDir); err != nil {
		return err
	}
	_ = os.Rename(s.logPath, s.logPath+".1") // keep the previous run's log; there may be none
	begin := time.Now()
	pm, err := s.startServer(ctx, s.serverArgs(), true, s.DSN("postgres"))
	if err != nil {
		return err
	}
	s.pm = pm
	s.log.Info("local postgres: ready", "socket", s.sockDir, "data", s.dataDir, "pid", pm.cmd.Process.Pid,
		"elapsed", time.Since(begin).Round(time.Millisecond))
	return nil
}

func (s *LocalServer) serverArgs() []string {
	args := []string{"-D", s.dataDir, "-k", s.sockDir, "-p", strconv.Itoa(localPort), "-c", "listen_addresses="}
	if s.ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=200")
	}
	for _, kv := range s.settings {
		args = append(args, "-c", kv)
	}
	return args
}

// stopServer stops the current run of the server, if any.
func (s *LocalServer) stopServer() error {
	pm := s.pm
	s.pm = nil
	if pm == nil {
		return nil
	}
	return pm.stop(s.runner)
}
