package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ReplicaNode is a throwaway PostgreSQL server on 127.0.0.1:<port>, for replication and
// failover tests: a primary that waits for a synchronous standby, or a standby streaming
// from it. Everything lives in one temp dir that Stop removes; the server dies with us.
type ReplicaNode struct {
	bin     string
	dir     string // temp dir: socket, log, data
	dataDir string
	logPath string
	port    int
	primary bool
	runAs   *syscall.Credential
	pm      *postmaster
}

// StartPrimary initdb's a fresh cluster and starts it as a primary whose commits wait until
// a synchronous standby has flushed them (synchronous_standby_names='*').
func StartPrimary(ctx context.Context) (*ReplicaNode, error) {
	n, err := newReplicaNode(true)
	if err != nil {
		return nil, err
	}
	args := []string{"-D", n.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"}
	if err := n.run(ctx, "initdb", args...); err != nil {
		n.Stop()
		return nil, err
	}
	if err := n.start(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// StartStandby copies p with pg_basebackup -R and starts the copy streaming from p. The
// standby runs without synchronous_standby_names, so once promoted it commits on its own.
func (p *ReplicaNode) StartStandby(ctx context.Context) (*ReplicaNode, error) {
	n, err := newReplicaNode(false)
	if err != nil {
		return nil, err
	}
	err = n.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "postgres",
		"-D", n.dataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	if err == nil {
		err = n.start(ctx)
	}
	if err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// Port is the TCP port on 127.0.0.1.
func (n *ReplicaNode) Port() int { return n.port }

// DSN is a lib/pq DSN for dbname on this node alone.
func (n *ReplicaNode) DSN(dbname string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", n.port, dsnValue(dbname))
}

// FailoverDSN is the DSN an app uses to follow the primary among nodes: lib/pq tries the
// hosts in order and keeps the first that takes writes.
func FailoverDSN(dbname string, nodes ...*ReplicaNode) string {
	hosts, ports := make([]string, len(nodes)), make([]string, len(nodes))
	for i, n := range nodes {
		hosts[i], ports[i] = "127.0.0.1", strconv.Itoa(n.port)
	}
	return fmt.Sprintf("host=%s port=%s user=postgres dbname=%s sslmode=disable "+
		"target_session_attrs=read-write connect_timeout=2",
		strings.Join(hosts, ","), strings.Join(ports, ","), dsnValue(dbname))
}

// WaitSyncStandby waits until a standby streams from this primary as a synchronous one.
func (n *ReplicaNode) WaitSyncStandby(ctx context.Context) error {
	return n.poll(ctx, "synchronous standby", func(conn *sql.DB) (bool, error) {
		var count int
		err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_replication
			WHERE state = 'streaming' AND sync_state = 'sync'`).Scan(&count)
		return count > 0, err
	})
}

// Promote turns a standby into a primary and waits until it takes writes.
func (n *ReplicaNode) Promote(ctx context.Context) error {
	conn, err := sql.Open("postgres", n.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	defer conn.Close()
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_promote(true, 30)`).Scan(&ok); err != nil || !ok {
		return fmt.Errorf("promote port %d (ok=%v): %w; log:\n%s", n.port, ok, err, n.LogTail())
	}
	n.primary = true
	return nil
}

// Fence makes a running primary refuse writes (default_transaction_read_only), the first
// step of a planned switchover: open sessions see it at once, new ones are read-only.
func (n *ReplicaNode) Fence(ctx context.Context) error {
	conn, err := sql.Open("postgres", n.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("fence: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ALTER SYSTEM SET default_transaction_read_only = on`); err != nil {
		return fmt.Errorf("fence port %d: %w", n.port, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_reload_conf()`); err != nil {
		return fmt.Errorf("fence port %d: reload: %w", n.port, err)
	}
	return nil
}

// Kill ends the server and all its backends with SIGKILL, as a crash of its machine would.
func (n *ReplicaNode) Kill() {
	if n.pm == nil {
		return
	}
	_ = syscall.Kill(-n.pm.cmd.Process.Pid, syscall.SIGKILL)
	<-n.pm.done
	n.pm = nil
}

// Stop kills the server and removes its temp dir.
func (n *ReplicaNode) Stop() error {
	n.Kill()
	if err := os.RemoveAll(n.dir); err != nil {
		return fmt.Errorf("remove %s: %w", n.dir, err)
	}
	return nil
}

// LogTail is the end of the server's log, for failure messages.
func (n *ReplicaNode) LogTail() string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return tail(b)
}

func newReplicaNode(primary bool) (*ReplicaNode, error) {
	bin, err := FindPostgresBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	// Same prefix and owner file as LocalServer, so stale dirs of killed runs get cleaned.
	dir, err := os.MkdirTemp(os.TempDir(), tempPrefix)
	if err != nil {
		return nil, fmt.Errorf("replica temp dir: %w", err)
	}
	n := &ReplicaNode{bin: bin, dir: dir, dataDir: filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, logFile), primary: primary, runAs: cred}
	err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	if err == nil && cred != nil {
		err = os.Chown(dir, int(cred.Uid), int(cred.Gid))
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("replica temp dir: %w", err)
	}
	return n, nil
}

// run runs one of the PostgreSQL client programs as the server user.
func (n *ReplicaNode) run(ctx context.Context, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(n.bin, prog), args...)
	n.setupChild(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", prog, err, tail(out))
	}
	return nil
}

func (n *ReplicaNode) serverArgs() []string {
	args := []string{"-D", n.dataDir, "-k", n.dir, "-p", strconv.Itoa(n.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100",
		// Durability comes from the standby here, not from this machine's disk.
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "hot_standby=on",
		"-c", "synchronous_commit=on", "-c", "wal_receiver_status_interval=1s",
		// A standby whose primary vanished retries every 5 s by default; promotion waits for that.
		"-c", "wal_retrieve_retry_interval=200ms"}
	if n.primary {
		args = append(args, "-c", "synchronous_standby_names=*")
	}
	return args
}

// start picks a free port and starts the server, trying another port if that one was
// taken in between.
func (n *ReplicaNode) start(ctx context.Context) error {
	var err error
	for range 3 {
		if n.port, err = freePort(); err != nil {
			return err
		}
		if err = n.startOnce(ctx); err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "could not bind") && !strings.Contains(err.Error(), "could not create listen socket") {
			return err
		}
	}
	return err
}

func (n *ReplicaNode) startOnce(ctx context.Context) error {
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(n.bin, "postgres"), n.serverArgs()...)
	n.setupChild(cmd)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	pm := &postmaster{cmd: cmd, done: make(chan struct{})}
	go func() {
		pm.err = cmd.Wait()
		close(pm.done)
	}()
	n.pm = pm
	err = n.poll(ctx, "postgres to accept connections", func(conn *sql.DB) (bool, error) {
		select {
		case <-pm.done:
			return false, fmt.Errorf("postgres exited: %v", pm.err)
		default:
		}
		return conn.PingContext(ctx) == nil, nil
	})
	if err != nil {
		n.Kill()
	}
	return err
}

// poll opens a connection to this node and asks ready every 20 ms for up to 30 s.
func (n *ReplicaNode) poll(ctx context.Context, what string, ready func(*sql.DB) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	conn, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable",
		dsnValue(n.dir), n.port))
	if err != nil {
		return fmt.Errorf("wait for %s: %w", what, err)
	}
	defer conn.Close()
	for {
		ok, err := ready(conn)
		if ok {
			return nil
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("wait for %s on port %d: %w; log:\n%s", what, n.port, err, n.LogTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s on port %d: %w; log:\n%s", what, n.port, ctx.Err(), n.LogTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// setupChild runs cmd as the server user, in its own process group, dying with us.
func (n *ReplicaNode) setupChild(cmd *exec.Cmd) {
	cmd.Dir = "/"
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: n.runAs, Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
