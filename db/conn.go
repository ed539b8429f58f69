package db

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// defaultStatementTimeout bounds every statement on the server, so a stuck query frees its
// connection instead of holding it for good.
const defaultStatementTimeout = 5 * time.Second

// openCounted opens a pool on cfg whose connections count their network round trips and
// carry a statement_timeout (unless the DSN already sets one).
func openCounted(cfg Config, statementTimeout time.Duration) (*sqlx.DB, *roundTrips, error) {
	if statementTimeout <= 0 {
		statementTimeout = defaultStatementTimeout
	}
	// The hot statements are prepared once per connection (stmtCache) and their plans do
	// not depend on the values: with the default (auto), PostgreSQL planned the batched
	// token lookup afresh on every execution, as a custom plan for an array of unknown
	// length looks cheaper than the generic one. That planning was ~3/4 of the lookup's
	// time (330 µs against 90 µs for a round trip). Unnamed statements are planned per
	// execution anyway.
	connector, err := cfg.connector(map[string]string{
		"statement_timeout": fmt.Sprint(statementTimeout.Milliseconds()),
		"plan_cache_mode":   "force_generic_plan",
	})
	if err != nil {
		return nil, nil, err
	}
	trips := &roundTrips{}
	connector.Dialer(countingDialer{trips: trips})
	return sqlx.NewDb(sql.OpenDB(newFailoverConnector(connector, cfg.pq.ConnectTimeout)), "postgres"), trips, nil
}

// RoundTrips is how many request-response exchanges the pool's connections have had with
// the server since Open: what "database round trips per request" counts. It is 0 for a
// Store made by NewStore.
func (s *Store) RoundTrips() int64 {
	if s.trips == nil {
		return 0
	}
	return s.trips.n.Load()
}

type roundTrips struct{ n atomic.Int64 }

// countingDialer dials like lib/pq does and wraps each connection to count round trips.
type countingDialer struct {
	trips *roundTrips
	d     net.Dialer
}

func (d countingDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d countingDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d countingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return noteDialed(ctx, &countingConn{Conn: c, trips: d.trips}), nil
}

// countingConn counts a round trip each time the client starts writing after it has read
// (or for its first write): several messages sent before one reply are one round trip.
type countingConn struct {
	net.Conn
	trips   *roundTrips
	writing atomic.Bool
}

func (c *countingConn) Write(b []byte) (int, error) {
	if !c.writing.Swap(true) {
		c.trips.n.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.writing.Store(false)
	return c.Conn.Read(b)
}

// stmtCache holds the hot queries prepared on the pool: database/sql prepares each on a
// connection the first time it runs there (again after a reconnect), so every later run is
// one round trip (Bind/Execute) with no parsing or planning.
type stmtCache struct {
	mu sync.Mutex // serialises preparing; lookups go through the lock-free map
	m  sync.Map   // query -> *sqlx.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	if st, ok := c.m.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.m.Store(query, st)
	return st, nil
}

func (c *stmtCache) close() {
	c.m.Range(func(k, v any) bool {
		v.(*sqlx.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// getPrepared is GetContext through the prepared statement for query.
func (s *Store) getPrepared(ctx context.Context, dest any, query string, args ...any) error {
	st, err := s.stmts.get(ctx, s.db, query)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// execPrepared is ExecContext through the prepared statement for query.
func (s *Store) execPrepared(ctx context.Context, query string, args ...any) error {
	st, err := s.stmts.get(ctx, s.db, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// queryPrepared is QueryContext through the prepared statement for query, for the hot
// queries scanned by hand.
func (s *Store) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, s.db, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
