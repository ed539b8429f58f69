package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net"
	"sync"
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
	generation     *atomic.Int64 // bumped when a connection finds its server gone or read-only
	connectTimeout time.Duration // the DSN's connect_timeout (0: none)
}

func newFailoverConnector(c *pq.Connector, connectTimeout time.Duration) failoverConnector {
	return failoverConnector{Connector: c, generation: &atomic.Int64{}, connectTimeout: connectTimeout}
}

// defaultConnectTimeout bounds a connect, per host, when the DSN sets no connect_timeout:
// a frozen server accepts the TCP connection (the kernel does) and never answers the
// startup, and lib/pq would wait for good, holding a slot of the pool. The pool also
// connects with no deadline of its own (for queued requests).
const defaultConnectTimeout = 2 * time.Second

// cancelWait is how long a cancel request waits for the server to close its connection.
const cancelWait = 100 * time.Millisecond

// dialedKey carries, in Connect's context, where the dialer leaves the socket it opened.
type dialedKey struct{}

// dialed is what Connect hands the dialer: where to leave the socket, and whether lib/pq
// bounds the connect itself (connect_timeout set: each host's dial context then carries
// that bound already).
type dialed struct {
	socket     *connectingConn
	hasTimeout bool
}

// Connect opens a connection through lib/pq (which walks the DSN's host list) and wraps it.
func (c failoverConnector) Connect(ctx context.Context) (driver.Conn, error) {
	d := &dialed{hasTimeout: c.connectTimeout > 0}
	gen := c.generation.Load()
	conn, err := c.Connector.Connect(context.WithValue(ctx, dialedKey{}, d))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var socket net.Conn
	if d.socket != nil {
		d.socket.connected() // the connect's bound is over
		socket = d.socket
	}
	return &failoverConn{conn: conn, socket: socket, gen: gen, pool: c.generation}, nil
}

// noteDialed bounds a socket's connect by the context's deadline (lib/pq's connect_timeout
// per host, the request's deadline, whichever comes first; without either,
// defaultConnectTimeout) and records it for the Connect that asked: the last dial of a
// connect is the socket lib/pq keeps, as it closes a host's socket before it tries the next.
func noteDialed(ctx context.Context, c net.Conn) net.Conn {
	d, ok := ctx.Value(dialedKey{}).(*dialed)
	if !ok {
		// Not a connect: lib/pq's cancel request, sent when a request's context ends. For a
		// prepared statement lib/pq holds the request until the server closes the cancel's
		// connection, which a frozen server never does, and with connect_timeout in the
		// DSN it sets that as the socket's deadline after the dial, over ours. The cancel
		// is one packet written at once; the server reads it even after we hang up, so
		// waiting long for its close buys nothing.
		cc := &connectingConn{Conn: c, bound: time.Now().Add(cancelWait)}
		_ = c.SetDeadline(cc.bound)
		return cc
	}
	deadline, has := ctx.Deadline()
	if !d.hasTimeout {
		if limit := time.Now().Add(defaultConnectTimeout); !has || limit.Before(deadline) {
			deadline = limit
		}
	} else if !has {
		deadline = time.Now().Add(defaultConnectTimeout)
	}
	cc := &connectingConn{Conn: c, bound: deadline}
	_ = c.SetDeadline(deadline)
	d.socket = cc
	return cc
}

// connectingConn keeps a connect within its bound. lib/pq, when the DSN sets
// connect_timeout, sets its own deadline on the socket after the dial (now plus
// connect_timeout, whatever the request has left) and clears it before it asks
// target_session_attrs' question, so a connect to a frozen host outlived the request's
// deadline by up to connect_timeout, and a host that froze after the startup held the
// request for good. Until Connect returns, every deadline set is cut to the bound. A
// cancel request's socket keeps its bound (cancelWait) for good.
type connectingConn struct {
	net.Conn
	mu    sync.Mutex
	bound time.Time // zero once connected
}

func (c *connectingConn) clamp(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.bound.IsZero() && (t.IsZero() || t.After(c.bound)) {
		return c.bound
	}
	return t
}

func (c *connectingConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }

func (c *connectingConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *connectingConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// connected ends the connect's bound: from now on the request's context bounds each call.
func (c *connectingConn) connected() {
	c.mu.Lock()
	c.bound = time.Time{}
	c.mu.Unlock()
	_ = c.Conn.SetDeadline(time.Time{})
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

// Close closes the statement on the server, which is a round trip with no deadline: none
// on a stale connection, which database/sql is closing (and the server frees a
// connection's statements with it). Its server may be the frozen one that made it stale,
// and the request that took it from the pool would wait for the thaw.
func (s *failoverStmt) Close() error {
	if s.conn.stale() {
		return nil
	}
	return s.stmt.Close()
}

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
	if t.ctx.Err() != nil {
		// The context ended (database/sql then rolls back by itself): a ROLLBACK sent to a
		// server that may be frozen would hold the pool's slot for its second. The pool
		// closes a connection that answers ErrBadConn, and the server rolls a transaction
		// back when its connection closes.
		t.conn.retired.Store(true)
		return driver.ErrBadConn
	}
	// A rollback after a failed statement: bound it by a fresh second.
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
