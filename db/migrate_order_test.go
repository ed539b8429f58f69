package db_test

import (
	"context"
	"testing"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// A migration that lands after a higher-numbered one is still applied to a database that
// already has the higher one (as 00013 landed after 00016).
func TestMigrationLandingOutOfOrderIsApplied(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	_, err := store.DB().ExecContext(ctx, `
		DROP TABLE notice_dismissals;
		ALTER TABLE notices DROP COLUMN evicted;
		DROP INDEX known_devices_user_seen_idx;
		ALTER TABLE known_devices DROP COLUMN last_seen_at, DROP COLUMN credential;
		DELETE FROM goose_db_version WHERE version_id = 13;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		t.Fatalf("migrate with 00013 missing below 00016: %v", err)
	}
	var n int
	if err := store.DB().GetContext(ctx, &n, `SELECT count(*) FROM goose_db_version WHERE version_id = 13`); err != nil || n != 1 {
		t.Fatalf("00013 applied %d times (%v)", n, err)
	}
}
