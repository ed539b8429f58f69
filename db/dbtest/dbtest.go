// Package dbtest gives tests a real, migrated PostgreSQL database of their own: one
// throwaway cluster per test binary (unless DATABASE_URL names a server) and one database
// per test, cloned from a migrated template (~50 ms).
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/internal/pgserver"
)

// cluster is the test binary's server; set once by Main before any test runs.
var cluster struct {
	adminDSN string
	dsnFor   func(dbname string) string
	template string
	server   *pgserver.LocalServer
	counter  atomic.Int64
}

// Main starts the cluster, runs the tests and stops it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
func Main(m *testing.M) int {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	code := m.Run()
	if cluster.server != nil {
		cluster.server.Stop()
	}
	return code
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if url := os.Getenv("DATABASE_URL"); url != "" {
		cluster.adminDSN = url
		cluster.dsnFor = func(name string) string { return withDBName(url, name) }
	} else {
		srv, err := pgserver.StartLocal(ctx, pgserver.LocalOptions{Ephemeral: true})
		if err != nil {
			return err
		}
		cluster.server = srv
		cluster.adminDSN = srv.DSN("postgres")
		cluster.dsnFor = srv.DSN
	}
	cluster.template = fmt.Sprintf("tmpl_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	template, err := db.ParseConfig(cluster.dsnFor(cluster.template))
	if err != nil {
		return err
	}
	if err := db.EnsureDatabase(ctx, template); err != nil {
		return err
	}
	conn, err := sql.Open("postgres", cluster.dsnFor(cluster.template))
	if err != nil {
		return err
	}
	defer conn.Close()
	return db.Migrate(ctx, conn)
}

// withDBName points a DATABASE_URL (URL or key=value form) at another database.
func withDBName(url, name string) string {
	if kv, err := db.KeyValueDSN(url); err == nil {
		return kv + " dbname=" + name
	}
	return url + " dbname=" + name
}

// Server is the throwaway cluster, or nil when DATABASE_URL was given.
func Server() *pgserver.LocalServer { return cluster.server }

// DSN names a fresh, migrated database for this test, dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), cluster.counter.Add(1))
	admin, err := sql.Open("postgres", cluster.adminDSN)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name) +
		` TEMPLATE ` + pq.QuoteIdentifier(cluster.template)); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", cluster.adminDSN)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
	})
	return cluster.dsnFor(name)
}

// NewStore opens a Store on a fresh database for this test.
func NewStore(t testing.TB) *db.Store {
	t.Helper()
	return StoreOn(t, DSN(t))
}

// StoreOn opens a Store on the database dsn names (one from DSN), closed when the test
// ends: for tests that also need a connection of their own to that database.
func StoreOn(t testing.TB, dsn string) *db.Store {
	t.Helper()
	cfg, err := db.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	store, err := db.Open(context.Background(), cfg, db.PoolOptions{MaxOpen: 8})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// SeededUserID is, in SQL, the id SeedUsers gives user number u (an SQL expression).
func SeededUserID(u string) string {
	return "('00000000-0000-4000-a000-' || lpad(to_hex(" + u + "), 12, '0'))::uuid"
}

// SeedUsers inserts users 0..n-1 with the ids SeededUserID gives, for tests that fill
// tables with generate_series.
func SeedUsers(t testing.TB, store *db.Store, n int) {
	t.Helper()
	if _, err := store.DB().Exec(`INSERT INTO users (id, email, name, password_hash)
		SELECT `+SeededUserID("u")+`, 'u' || u || '@example.test', 'U', 'x' FROM generate_series(0, $1 - 1) u`, n); err != nil {
		t.Fatal(err)
	}
}
