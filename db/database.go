package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
)

// EnsureDatabase creates cfg's database, connecting to the maintenance database "postgres"
// on the same servers, if it does not exist.
func EnsureDatabase(ctx context.Context, cfg Config) error {
	name := cfg.Database()
	connector, err := cfg.WithDatabase("postgres").connector(nil)
	if err != nil {
		return fmt.Errorf("ensure database %s: %w", name, err)
	}
	conn := sql.OpenDB(connector)
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("ensure database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("ensure database %s: %w", name, err)
	}
	return nil
}
