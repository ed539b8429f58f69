// Package db holds every SQL query of the app, one method each, on top of sqlx and lib/pq.
package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver behind sqlx
)

// ErrNotFound is returned when a query that expects one row finds none.
var ErrNotFound = errors.New("not found")

// ErrEmailTaken is returned when a sign-up uses an email that already has an account.
var ErrEmailTaken = errors.New("email already registered")

// Store runs the app's queries against PostgreSQL.
type Store struct {
	db *sqlx.DB
}

// PoolOptions bounds the connection pool so a stuck database gives fast errors.
type PoolOptions struct {
	MaxOpen int
	MaxIdle int
}

// Open connects to PostgreSQL, checks the connection and sizes the pool.
func Open(ctx context.Context, dsn string, pool PoolOptions) (*Store, error) {
	conn, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if pool.MaxOpen <= 0 {
		pool.MaxOpen = 16
	}
	if pool.MaxIdle <= 0 {
		pool.MaxIdle = pool.MaxOpen
	}
	conn.SetMaxOpenConns(pool.MaxOpen)
	conn.SetMaxIdleConns(pool.MaxIdle)
	conn.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.PingContext(pingCtx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &Store{db: conn}, nil
}

// NewStore wraps an open connection pool.
func NewStore(conn *sqlx.DB) *Store { return &Store{db: conn} }

// DB gives the underlying pool, for migrations and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// InTx runs fn in one transaction: committed if fn returns nil, rolled back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{tx: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is a transaction; it has the write methods that must commit together.
type Tx struct {
	tx *sqlx.Tx
}
