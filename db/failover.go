package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// failoverConnector hands out lib/pq connections that retire once their server fails them,
// and retires every older connection of the pool with them. lib/pq checks
// target_session_attrs=read-write only when it connects, so without this a pooled
// connection to a primary that was fenced read-only (default_transaction_read_only, the
// first step of a planned switchover) or demoted would keep failing with 25006 until its
// lifetime ran out, and after a crash each idle connection would fail one request of its
// own before the pool learnt; instead the first failure ends them all, and fresh
// connections walk the host list to the new primary.
type failoverConnector struct {
	*pq.Connector
	generation *atomic.Int64 // bumped when a connection finds its server gone or read-only
}

func newFailoverConnector(c *pq.Connector) failoverConnector {
	return failoverConnector{Connector: c, generation: &atomic.Int64{}}
}

// defaultConnectTimeout bounds a connect, per host, when the DSN sets no connect_timeout:
// a frozen server accepts the TCP connection (the kernel does) and never answers the
// startup, and lib/pq would wait for good, holding a slot of the pool. The pool also
// connects with no deadline of its own (for queued requests).
const defaultConnectTimeout = 2 * time.Second

// dialedKey carries, in Connect's context, where the dialer leaves the socket it opened.
type dialedKey struct{}

// Connect opens a connection through lib/pq (which walks the DSN's host list) and wraps it.
func (c failoverConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var socket net.Conn
	gen := c.generation.Load()
	conn, err := c.Connector.Connect(context.WithValue(ctx, dialedKey{}, &socket))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if socket != nil {
		_ = socket.SetDeadline(time.Time{}) // connected: the connect's bound is over
	}
	return &failoverConn{conn: conn, socket: socket, gen: gen, pool: c.generation}, nil
}

// noteDialed bounds a socket's connect (the context's deadline, at most
// defaultConnectTimeout; lib/pq replaces it with connect_timeout when the DSN sets one)
// and records it for the Connect that asked: the last dial of a connect is the socket
// lib/pq keeps, as it closes a host's socket before it tries the next.
func noteDialed(ctx context.Context, c net.Conn) {
	p, ok := ctx.Value(dialedKey{}).(*net.Conn)
	if !ok {
		return
	}
	deadline := time.Now().Add(defaultConnectTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	*p = c
}

// pqConn is what lib/pq's connection implements; failoverConn forwards all of it.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
}

// failoverConn is a lib/pq connection that the pool drops once its server fails it, or
// once another connection of the pool found the server failed (a newer generation).
type failoverConn struct {
	conn    driver.Conn
	socket  net.Conn      // nil if the dial went around countingDialer
	gen     int64         // the pool's generation when it connected
	pool    *atomic.Int64 // the pool's current generation
	retired atomic.Bool
}

func (c *failoverConn) pq() pqConn { return c.conn.(pqConn) }

// check retires the connection, and every older one of the pool, when err says its server
// no longer takes writes or is gone: read-only (fenced or demoted), shutting down, or a
// broken or frozen socket. A statement timeout or a constraint error says nothing of the
// server and retires nothing.
func (c *failoverConn) check(err error) error {
	if err == nil || !serverFailed(err) {
		return err
	}
	c.retired.Store(true)
	c.pool.CompareAndSwap(c.gen, c.gen+1)
	return err
}

func serverFailed(err error) bool {
	if pq.As(err, "25006") != nil { // read_only_sql_transaction
		return true
	}
	return IsUnavailable(err) && pq.As(err, "57014") == nil // not a statement timeout
}

// bound ties the socket to ctx for one call: lib/pq answers a cancelled context by asking
// the server to cancel and then waits for the server's reply, which a frozen (SIGSTOPped,
// partitioned) server never sends, so the request would hang past its deadline. Cutting
// the socket's deadline makes the read fail at once; the connection is then retired.
func (c *failoverConn) bound(ctx context.Context) (done func(error) error) {
	if c.socket == nil || ctx.Done() == nil {
		return c.check
	}
	stop := context.AfterFunc(ctx, func() { _ = c.socket.SetDeadline(time.Now()) })
	return func(err error) error {
		if !stop() { // the deadline was cut: the socket is unusable whatever err says
			c.retired.Store(true)
			if err == nil {
				err = fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
			}
		}
		return c.check(err)
	}
}

// stale: another connection found the server failed after this one connected.
func (c *failoverConn) stale() bool { return c.retired.Load() || c.pool.Load() != c.gen }

func (c *failoverConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *failoverConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	done := c.bound(ctx)
	s, err := c.pq().PrepareContext(ctx, query)
	if err = done(err); err != nil {
		if s != nil {
			s.Close()
		}
		return nil, err
	}
	return &failoverStmt{stmt: s.(pqStmt), conn: c}, nil
}

// pqStmt is what lib/pq's prepared statement implements.
type pqStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// failoverStmt runs a prepared statement's errors through its connection's check: the hot
// queries (lookups, the revoke) are prepared, and a write refused with 25006 there must
// retire the connection as an unprepared one does.
type failoverStmt struct {
	stmt pqStmt
	conn *failoverConn
}

func (s *failoverStmt) Close() error  { return s.stmt.Close() }
func (s *failoverStmt) NumInput() int { return s.stmt.NumInput() }

func (s *failoverStmt) Exec(args []driver.Value) (driver.Result, error) {
	r, err := s.stmt.Exec(args) //nolint:staticcheck // driver.Stmt requires it
	return r, s.conn.check(err)
}

func (s *failoverStmt) Query(args []driver.Value) (driver.Rows, error) {
	r, err := s.stmt.Query(args) //nolint:staticcheck // driver.Stmt requires it
	return r, s.conn.check(err)
}

func (s *failoverStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done := s.conn.bound(ctx)
	r, err := s.stmt.ExecContext(ctx, args)
	return r, done(err)
}

func (s *failoverStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done := s.conn.bound(ctx)
	r, err := s.stmt.QueryContext(ctx, args)
	return r, done(err)
}

func (c *failoverConn) Close() error { return c.conn.Close() }

func (c *failoverConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *failoverConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	done := c.bound(ctx)
	tx, err := c.pq().BeginTx(ctx, opts)
	if err = done(err); err != nil {
		return nil, err
	}
	return &failoverTx{tx: tx, conn: c, ctx: ctx}, nil
}

// failoverTx bounds COMMIT and ROLLBACK by the transaction's context: driver.Tx has no
// context of its own, and a commit sent to a frozen server would wait for good.
type failoverTx struct {
	tx   driver.Tx
	conn *failoverConn
	ctx  context.Context
}

func (t *failoverTx) Commit() error {
	done := t.conn.bound(t.ctx)
	return done(t.tx.Commit())
}

func (t *failoverTx) Rollback() error {
	// database/sql rolls back after the context ended, too: bound it by a fresh second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := t.conn.bound(ctx)
	return done(t.tx.Rollback())
}

func (c *failoverConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	done := c.bound(ctx)
	r, err := c.pq().ExecContext(ctx, query, args)
	return r, done(err)
}

func (c *failoverConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	done := c.bound(ctx)
	r, err := c.pq().QueryContext(ctx, query, args)
	return r, done(err)
}

func (c *failoverConn) Ping(ctx context.Context) error {
	done := c.bound(ctx)
	return done(c.pq().Ping(ctx))
}

func (c *failoverConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.pq().CheckNamedValue(nv)
}

// ResetSession runs before a pooled connection is reused; ErrBadConn makes the pool close it.
func (c *failoverConn) ResetSession(ctx context.Context) error {
	if c.stale() {
		return driver.ErrBadConn
	}
	return c.pq().ResetSession(ctx)
}

// IsValid is asked before a connection goes back to the pool.
func (c *failoverConn) IsValid() bool { return !c.stale() && c.pq().IsValid() }
