package main

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// prewarm reads the sessions and users tables and all their indexes into shared_buffers
// (pg_prewarm), as a service that has been running holds the rows every request reads.
// Just after the scale seed they are only in the OS's cache: its VACUUM reads through a
// small ring of buffers, so the first rows measured the cache filling up (BENCHMARKS.md,
// "Ten million sessions"). The audit log is left to fill as the pages read it.
func prewarm(ctx context.Context, store *db.Store) error {
	start := time.Now()
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
