package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/internal/pgserver"
)

// openDatabase connects the way every command of the binary does: to DATABASE_URL, else to
// the local PostgreSQL in DATA_DIR (started here), and migrates it. It returns the store,
// the configuration it used (the live listener opens from it) and what closes both.
func openDatabase(ctx context.Context, cfg config, log *slog.Logger) (*db.Store, db.Config, func(), error) {
	dbConfig := cfg.Database
	stopLocal := func() {}
	if cfg.DatabaseURL == "" {
		local, localConfig, err := startLocalDatabase(ctx, cfg.DataDir, log)
		if err != nil {
			return nil, db.Config{}, nil, err
		}
		stopLocal = func() { _ = local.Stop() }
		dbConfig = localConfig
	}
	log.Info("database", "hosts", dbConfig.Hosts(), "dbname", dbConfig.Database())
	store, err := db.Open(ctx, dbConfig, db.PoolOptions{MaxOpen: cfg.DBMaxConns})
	if err != nil {
		stopLocal()
		return nil, db.Config{}, nil, err
	}
	closeAll := func() { store.Close(); stopLocal() }
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		closeAll()
		return nil, db.Config{}, nil, err
	}
	return store, dbConfig, closeAll, nil
}

// startLocalDatabase runs PostgreSQL from the machine's binaries with its cluster in
// dataDir/postgres (pgserver moves one of the old layout, dataDir itself, there), and
// gives the configuration every connection to its app database opens from.
func startLocalDatabase(ctx context.Context, dataDir string, log *slog.Logger) (*pgserver.LocalServer, db.Config, error) {
	log.Info("DATABASE_URL is not set: starting a local PostgreSQL", "data_dir", dataDir)
	local, err := pgserver.StartLocal(ctx, pgserver.LocalOptions{DataDir: dataDir, Logger: log})
	if err != nil {
		return nil, db.Config{}, fmt.Errorf("local database (set DATABASE_URL to use your own): %w", err)
	}
	dbConfig, err := db.ParseConfig(local.DSN("docodego"))
	if err == nil {
		err = db.EnsureDatabase(ctx, dbConfig)
	}
	if err != nil {
		local.Stop()
		return nil, db.Config{}, err
	}
	return local, dbConfig, nil
}
