// Package db holds every SQL query of the app, one method each, on top of sqlx and lib/pq.
package db

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver behind sqlx

	"github.com/docodego/sessions/internal/gate"
)

// ErrNotFound is returned when a query that expects one row finds none.
var ErrNotFound = errors.New("not found")

// ErrEmailTaken is returned when a sign-up uses an email that already has an account.
var ErrEmailTaken = errors.New("email already registered")

// Store runs the app's queries against PostgreSQL.
type Store struct {
	db    *sqlx.DB
	trips *roundTrips // nil for a pool opened elsewhere (NewStore)
	stmts stmtCache   // the hot queries, prepared once per connection
	audit auditLog    // logs each audit event once its transaction commits
	// lookups and touches batch the token lookups and last-seen writes of concurrent
	// requests (session_lookup.go, sessions.go).
	lookups *batcher[[]byte, SessionWithUser]
	touches *batcher[Touch, struct{}]
	// listReads queues the reads of whole lists in arrival order (list_reads.go).
	listReads *gate.Gate
}

// PoolOptions bounds the connection pool so a stuck database gives fast errors.
type PoolOptions struct {
	MaxOpen          int           // default DefaultMaxOpen
	MaxIdle          int           // default MaxOpen
	StatementTimeout time.Duration // server-side cap on one statement; default 5s, unless the DSN sets one
}

// DefaultMaxOpen sizes the pool for the machine: PostgreSQL gains nothing from more busy
// backends than a few per core, and the database/sql queue is cheaper than its scheduler.
func DefaultMaxOpen() int { return max(8, 4*runtime.NumCPU()) }

// Open connects to PostgreSQL as cfg says, checks the connection and sizes the pool.
func Open(ctx context.Context, cfg Config, pool PoolOptions) (*Store, error) {
	conn, trips, err := openCounted(cfg, pool.StatementTimeout)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if pool.MaxOpen <= 0 {
		pool.MaxOpen = DefaultMaxOpen()
	}
	if pool.MaxIdle <= 0 {
		pool.MaxIdle = pool.MaxOpen
	}
	conn.SetMaxOpenConns(pool.MaxOpen)
	conn.SetMaxIdleConns(pool.MaxIdle)
	conn.SetConnMaxIdleTime(5 * time.Minute)
	// A bounded lifetime rebalances the pool after a failover or a load_balance_hosts change.
	conn.SetConnMaxLifetime(30 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.PingContext(pingCtx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return newStore(conn, trips), nil
}

// MaxOpen is the pool's bound on open connections (0: none, for a Store made by NewStore
// without one).
func (s *Store) MaxOpen() int { return s.db.Stats().MaxOpenConnections }

// NewStore wraps an open connection pool.
func NewStore(conn *sqlx.DB) *Store { return newStore(conn, nil) }

func newStore(conn *sqlx.DB, trips *roundTrips) *Store {
	s := &Store{db: conn, trips: trips, listReads: newListReads(conn.Stats().MaxOpenConnections)}
	s.lookups, s.touches = s.newLookups(), s.newTouches()
	return s
}

// DB gives the underlying pool, for migrations and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the pool and its prepared statements.
func (s *Store) Close() error {
	s.lookups.stop()
	s.touches.stop()
	s.stmts.close()
	return s.db.Close()
}

// ErrReadOnly: the server the pool reached answers but takes no writes (a standby, or a
// primary fenced for a switchover). It is one of the ErrUnavailable errors.
var ErrReadOnly = fmt.Errorf("%w: the server is read-only", ErrUnavailable)

// Ping checks that the database answers and takes writes: a pooled connection may still
// reach a server that was demoted or fenced, and an app that can only read is not ready.
func (s *Store) Ping(ctx context.Context) error {
	var readOnly bool
	err := s.db.QueryRowContext(ctx,
		`SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::bool`).Scan(&readOnly)
	switch {
	case err != nil:
		return fmt.Errorf("ping database: %w", err)
	case readOnly:
		return fmt.Errorf("ping database: %w", ErrReadOnly)
	}
	return nil
}

// InTx runs fn in one transaction: committed if fn returns nil, rolled back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.audit.log(ctx, tx.events)
	return nil
}

// Tx is a transaction; it has the write methods that must commit together.
type Tx struct {
	tx     *sqlx.Tx
	events []AuditEvent // audit events written so far, logged after the commit
}
