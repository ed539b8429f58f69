package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync/atomic"

	"github.com/lib/pq"
)

// failoverConnector hands out lib/pq connections that retire themselves once the server
// behind them refuses writes. lib/pq checks target_session_attrs=read-write only when it
// connects, so without this a pooled connection to a primary that was fenced read-only
// (default_transaction_read_only, the first step of a planned switchover) would keep failing
// with 25006 until its lifetime ran out, while fresh connections would find the new primary.
type failoverConnector struct {
	*pq.Connector
}

// Connect opens a connection through lib/pq (which walks the DSN's host list) and wraps it.
func (c failoverConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &failoverConn{conn: conn}, nil
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

// failoverConn is a lib/pq connection that the pool drops after a read-only refusal.
type failoverConn struct {
	conn    driver.Conn
	retired atomic.Bool
}

func (c *failoverConn) pq() pqConn { return c.conn.(pqConn) }

// check retires the connection when err says its server no longer takes writes.
func (c *failoverConn) check(err error) error {
	if err != nil && pq.As(err, "25006") != nil { // read_only_sql_transaction
		c.retired.Store(true)
	}
	return err
}

func (c *failoverConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *failoverConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.pq().PrepareContext(ctx, query)
	if err != nil {
		return nil, c.check(err)
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
	r, err := s.stmt.ExecContext(ctx, args)
	return r, s.conn.check(err)
}

func (s *failoverStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.stmt.QueryContext(ctx, args)
	return r, s.conn.check(err)
}

func (c *failoverConn) Close() error { return c.conn.Close() }

func (c *failoverConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *failoverConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pq().BeginTx(ctx, opts)
	return tx, c.check(err)
}

func (c *failoverConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.pq().ExecContext(ctx, query, args)
	return r, c.check(err)
}

func (c *failoverConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.pq().QueryContext(ctx, query, args)
	return r, c.check(err)
}

func (c *failoverConn) Ping(ctx context.Context) error { return c.pq().Ping(ctx) }

func (c *failoverConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.pq().CheckNamedValue(nv)
}

// ResetSession runs before a pooled connection is reused; ErrBadConn makes the pool close it.
func (c *failoverConn) ResetSession(ctx context.Context) error {
	if c.retired.Load() {
		return driver.ErrBadConn
	}
	return c.pq().ResetSession(ctx)
}

// IsValid is asked before a connection goes back to the pool.
func (c *failoverConn) IsValid() bool { return !c.retired.Load() && c.pq().IsValid() }
