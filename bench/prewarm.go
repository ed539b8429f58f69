package main

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// prewarm brings the scale database to what a service that has been running has: the
// seed's ~10 GB of writes on disk (a CHECKPOINT, which also makes the kernel write them
// back, instead of the first rows' commits waiting behind that), and the sessions and
// users tables and all their indexes in shared_buffers (pg_prewarm; the seed's VACUUM
// reads through a small ring of buffers, so they were only in the OS's cache). With the
// prewarm alone the first rows were still the slowest (BENCHMARKS.md, "Ten million
// sessions"). The audit log is left to fill as the pages read it.
func prewarm(ctx context.Context, store *db.Store) error {
	start := time.Now()
	if _, err := store.DB().ExecContext(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("prewarm: %w", err)
	}
	logf("  checkpoint after the seed: %.1f s", time.Since(start).Seconds())
	start = time.Now()
	if _, err := store.DB().ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_prewarm`); err != nil {
		return fmt.Errorf("prewarm: %w", err)
	}
	var blocks int64
	err := store.DB().GetContext(ctx, &blocks, `
		SELECT COALESCE(sum(pg_prewarm(c.oid)), 0)::bigint FROM pg_class c
		WHERE c.oid IN ('sessions'::regclass, 'users'::regclass)
			OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ('sessions'::regclass, 'users'::regclass))`)
	if err != nil {
		return fmt.Errorf("prewarm: %w", err)
	}
	logf("  prewarmed the sessions and users tables and their indexes: %.0f MB in %.1f s",
		float64(blocks)*8192/(1<<20), time.Since(start).Seconds())
	return nil
}
