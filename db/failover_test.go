package db_test

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// freezer is a TCP proxy to the test cluster's socket that can stop forwarding, as a
// SIGSTOPped or partitioned server looks to a client: connections open, bytes accepted by
// the kernel, no answer.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	thaw   *sync.Cond
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	f.thaw = sync.NewCond(&f.mu)
	t.Cleanup(func() { f.set(false); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	f.frozen = frozen
	f.mu.Unlock()
	f.thaw.Broadcast()
}

func (f *freezer) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", f.target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { f.pipe(server, client); done <- struct{}{} }()
	go func() { f.pipe(client, server); done <- struct{}{} }()
	<-done
}

// pipe forwards src to dst, holding each chunk while frozen.
func (f *freezer) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		for f.frozen {
			f.thaw.Wait()
		}
		f.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// viaFreezer is a test database's DSN through a freezer in front of the cluster's socket,
// with the extra key=value settings.
func viaFreezer(t *testing.T, extra ...string) (db.Config, *freezer) {
	t.Helper()
	dsn := dbtest.DSN(t)
	cfg, err := db.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := cfg.Hosts() // "<socket dir>:<port>"
	i := strings.LastIndexByte(hostPort, ':')
	f := newFreezer(t, filepath.Join(hostPort[:i], ".s.PGSQL."+hostPort[i+1:]))
	port := f.ln.Addr().(*net.TCPAddr).Port
	cfg, err = db.ParseConfig(dsn + " host=127.0.0.1 port=" + strconv.Itoa(port) + " " + strings.Join(extra, " "))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, f
}

// storeViaFreezer is a store on viaFreezer's DSN with a pool of maxOpen connections.
func storeViaFreezer(t *testing.T, maxOpen int, extra ...string) (*db.Store, *freezer) {
	t.Helper()
	cfg, f := viaFreezer(t, extra...)
	store, err := db.Open(context.Background(), cfg, db.PoolOptions{MaxOpen: maxOpen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, f
}

// TestFrozenServerAnswersWithinTheDeadline: against a server that stops answering, a
// query on a pooled connection, a commit, and a fresh connect each give up at the
// request's deadline with an "unavailable" error (a 503), instead of waiting for good as
// lib/pq does for a cancelled query (it waits for the server's reply to its cancel).
// The DSN sets connect_timeout, as the production URI does: lib/pq puts that bound, not
// ours, on its cancel request's socket.
func TestFrozenServerAnswersWithinTheDeadline(t *testing.T) {
	store, f := storeViaFreezer(t, 4, "connect_timeout=20")
	const deadline = 300 * time.Millisecond
	bounded := func(what string, run func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := run(ctx)
		took := time.Since(start)
		if err == nil || !db.IsUnavailable(err) {
			t.Errorf("%s on a frozen server: %v; want an unavailable error", what, err)
		}
		if took > deadline+time.Second {
			t.Errorf("%s on a frozen server took %s; want about the %s deadline", what, took, deadline)
		}
	}
	if err := store.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.set(true)
	bounded("query on a pooled connection", store.Ping)
	bounded("fresh connection", store.Ping) // the pooled one was retired
	f.set(false)

	// A batched session lookup: the caller that finds a free slot runs the batch's
	// statement itself and waits for it, so the batch must end at that caller's deadline
	// (it has a 5 s budget of its own).
	if _, err := store.SessionByTokenHash(context.Background(), []byte("no such token hash")); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("lookup before the freeze: %v", err)
	}
	f.set(true)
	bounded("batched session lookup", func(ctx context.Context) error {
		_, err := store.SessionByTokenHash(ctx, []byte("no such token hash"))
		return err
	})
	f.set(false)

	// A commit whose answer never comes.
	if err := store.Ping(context.Background()); err != nil {
		t.Fatalf("after the thaw: %v", err)
	}
	bounded("commit", func(ctx context.Context) error {
		return store.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.CreateUser(ctx, "frozen@example.test", "F", "hash"); err != nil {
				return err
			}
			f.set(true) // frozen between the insert and the COMMIT
			return nil
		})
	})
	f.set(false)
	if err := store.Ping(context.Background()); err != nil {
		t.Errorf("the pool did not recover after the thaw: %v", err)
	}
}

// TestReadOnlyServerIsNotReady: a server that answers but takes no writes (a standby, or
// a primary fenced for a switchover) fails Ping, which /readyz asks, with ErrReadOnly.
func TestReadOnlyServerIsNotReady(t *testing.T) {
	cfg, err := db.ParseConfig(dbtest.DSN(t) + " options='-c default_transaction_read_only=on'")
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), cfg, db.PoolOptions{MaxOpen: 2})
	if err != nil && !errors.Is(err, db.ErrReadOnly) {
		t.Fatal(err)
	}
	if store == nil {
		return // Open's own check refused it: as good
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Ping(context.Background()); !errors.Is(err, db.ErrReadOnly) || !db.IsUnavailable(err) {
		t.Errorf("Ping on a read-only server: %v; want ErrReadOnly", err)
	}
}

// TestListenerGivesUpOnAFrozenServer: the live LISTEN connection, opened from a DSN with no
// connect_timeout, reports a failed attempt against a server that accepts TCP and never
// answers, instead of waiting for good, so its reconnect loop moves on to the next host.
func TestListenerGivesUpOnAFrozenServer(t *testing.T) {
	cfg, f := viaFreezer(t)
	f.set(true)
	failed := make(chan error, 16)
	l := cfg.NewListener(10*time.Millisecond, 100*time.Millisecond, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventConnectionAttemptFailed {
			failed <- err
		}
	})
	defer l.Close()
	select {
	case err := <-failed:
		t.Logf("connect attempt failed as it should: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the listener waited on the frozen server for 10 s")
	}
}

// TestConnectToAFrozenHostKeepsTheRequestDeadline: with connect_timeout in the DSN (as the
// multi-host production URI has), lib/pq bounds a connect by connect_timeout alone and
// clears the bound before it asks target_session_attrs' question. A request's fresh
// connect to a frozen host must still give up at the request's deadline, not after
// connect_timeout.
func TestConnectToAFrozenHostKeepsTheRequestDeadline(t *testing.T) {
	store, f := storeViaFreezer(t, 4, "connect_timeout=20", "target_session_attrs=read-write")
	if err := store.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.set(true)
	for _, deadline := range []time.Duration{300 * time.Millisecond, time.Second} {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := store.Ping(ctx) // the pooled connection is retired by the first, then fresh ones
		took := time.Since(start)
		cancel()
		if err == nil || !db.IsUnavailable(err) {
			t.Errorf("ping with a %s deadline on a frozen host: %v; want an unavailable error", deadline, err)
		}
		// connect_timeout is 20 s: anything near the deadline shows the request's bound won.
		if took > deadline+5*time.Second {
			t.Errorf("ping with a %s deadline on a frozen host took %s", deadline, took)
		}
	}
	f.set(false)
	if err := store.Ping(context.Background()); err != nil {
		t.Errorf("the pool did not recover after the thaw: %v", err)
	}
}
