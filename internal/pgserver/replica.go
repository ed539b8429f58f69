package pgserver

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReplicaNode is a throwaway PostgreSQL server on 127.0.0.1:<port>, for replication and
// failover tests: a primary that waits for a synchronous standby, or a standby streaming
// from it. Everything lives in one temp dir that Stop removes; the server dies with us.
type ReplicaNode struct {
	runner
	dir     string // temp dir: socket, log, data
	dataDir string
	port    int
	primary bool
	pm      *postmaster
	// extraArgs are server settings of a standalone node (TLS).
	extraArgs []string
}

// StartPrimary initdb's a fresh cluster and starts it as a primary whose commits wait until
// a synchronous standby has flushed them (synchronous_standby_names='*').
func StartPrimary(ctx context.Context) (*ReplicaNode, error) {
	n, err := newReplicaNode(true)
	if err != nil {
		return nil, err
	}
	if err := n.run(ctx, "initdb", initdbArgs(n.dataDir, true)...); err != nil {
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
	n.pm.kill()
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
func (n *ReplicaNode) LogTail() string { return n.logTail() }

func newReplicaNode(primary bool) (*ReplicaNode, error) {
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	// Same prefix and owner file as LocalServer, so stale dirs of killed runs get cleaned.
	dir, err := r.makeOwnedTempDir()
	if err != nil {
		if dir != "" {
			os.RemoveAll(dir)
		}
		return nil, fmt.Errorf("replica temp dir: %w", err)
	}
	r.logPath = filepath.Join(dir, logFile)
	return &ReplicaNode{runner: r, dir: dir, dataDir: filepath.Join(dir, "data"), primary: primary}, nil
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
	return append(args, n.extraArgs...)
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

func (n *ReplicaNode) startOnce(ctx context.Context) (err error) {
	n.pm, err = n.startServer(ctx, n.serverArgs(), false, n.socketDSN())
	return err
}

// poll waits until ready answers through this node's socket.
func (n *ReplicaNode) poll(ctx context.Context, what string, ready func(*sql.DB) (bool, error)) error {
	return n.runner.poll(ctx, n.socketDSN(), fmt.Sprintf("%s on port %d", what, n.port), n.pm, ready)
}

func (n *ReplicaNode) socketDSN() string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", dsnValue(n.dir), n.port)
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
