package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// TestPlannerUsesIndexes checks, on a table big enough for the planner to care, that the
// queries behind the security page use their indexes: the token lookup its unique index,
// the sessions list the partial index of live sessions, the ended list the index of the
// revoked sessions (alone: an index-only scan) and the live index for the others.
// It EXPLAINs the very SQL the methods send (export_test.go), so a change to a query is
// checked here. For a user's ~50 rows spread over as many heap pages the planner may pick
// a Bitmap Index Scan; either form reads only the user's rows, never the table.
func TestPlannerUsesIndexes(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	dbtest.SeedUsers(t, store, 400)
	// Committed durably: the test cluster's asynchronous commit would keep VACUUM from
	// marking the rows visible to all until the WAL writer flushed it.
	_, err := store.DB().ExecContext(ctx, `
		BEGIN;
		SET LOCAL synchronous_commit = on;
		INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
		SELECT `+dbtest.SeededUserID("u")+`,
			sha256(convert_to(u || ':' || j, 'UTF8')), now() - j * interval '1 hour', now(),
			now() + interval '30 days', CASE WHEN j % 10 = 9 THEN now() END
		FROM generate_series(0, 49) j, generate_series(0, 399) u; -- in time order, as sign-ins fill it
		COMMIT;
		ANALYZE users;`)
	if err != nil {
		t.Fatal(err)
	}
	// As autovacuum leaves a table: its visibility map lets an index answer alone.
	if _, err := store.DB().ExecContext(ctx, `VACUUM (ANALYZE) sessions`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	user := "00000000-0000-4000-a000-000000000007"
	for _, tc := range []struct {
		name, query, index string
		args               []any
	}{
		// The batched lookup (session_lookup.go): one index probe per hash of the batch.
		{"sessions by token hashes", db.SessionLookupSQL, "sessions_token_hash_key",
			[]any{pq.ByteaArray{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}}},
		{"active sessions", db.ActiveSessionsSQL, "sessions_user_active_idx",
			[]any{user, now, now.Add(-7 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour)}},
		// The "recently ended" list: revoked or expired, so every row of the user.
		{"ended sessions", db.EndedSessionsSQL, "sessions_user_active_idx",
			[]any{user, now.Add(-7 * 24 * time.Hour), now, (7 * 24 * time.Hour).Seconds(), 20, (30 * 24 * time.Hour).Seconds()}},
		// The security page's notices, events and ended sessions in one statement.
		{"security activity", db.SecurityActivitySQL, "sessions_user_active_idx",
			[]any{user, now.Add(-7 * 24 * time.Hour), now, (7 * 24 * time.Hour).Seconds(), 20, (30 * 24 * time.Hour).Seconds(),
				"00000000-0000-4000-a000-000000000008", 5, now, 1 << 62, 21}},
		// The security page's one statement.
		{"security overview", db.SecurityOverviewSQL, "sessions_user_active_idx",
			[]any{user, now.Add(-7 * 24 * time.Hour), now, (7 * 24 * time.Hour).Seconds(), 20, (30 * 24 * time.Hour).Seconds(),
				"00000000-0000-4000-a000-000000000008", 5, now, 1 << 62, 21, now.Add(-7 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			if err := store.DB().SelectContext(ctx, &lines, "EXPLAIN "+tc.query, tc.args...); err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, "Index Scan using "+tc.index) && !strings.Contains(plan, "Bitmap Index Scan on "+tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, plan)
			}
			if strings.Contains(plan, "Seq Scan on sessions") {
				t.Errorf("plan scans the sessions table:\n%s", plan)
			}
			// The revoked sessions are counted and ordered from their index alone.
			if strings.Contains(tc.query, db.EndedSessionsSQL) && !strings.Contains(plan, "Index Only Scan using sessions_user_revoked_ends_idx") {
				t.Errorf("plan reads the revoked sessions' heap tuples:\n%s", plan)
			}
		})
	}
}

// TestJanitorBatchReadsOnlyItsPages: the janitor's DELETE reads the heap pages it is given
// (a TID range scan), never the whole table, however many sessions there are, and the
// sessions it deletes it finds again by primary key.
func TestJanitorBatchReadsOnlyItsPages(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	dbtest.SeedUsers(t, store, 400)
	_, err := store.DB().ExecContext(ctx, `
		INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
		SELECT `+dbtest.SeededUserID("u")+`,
			sha256(convert_to(u || ':' || j, 'UTF8')), now() - interval '90 days', now() - interval '60 days',
			now() + interval '30 days', CASE WHEN j % 3 = 0 THEN now() - interval '40 days' END
		FROM generate_series(0, 399) u, generate_series(0, 49) j;
		ANALYZE users; ANALYZE sessions;`)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := store.DB().SelectContext(ctx, &lines, "EXPLAIN "+db.DeleteEndedSessionsSQL,
		time.Now().Add(-30*24*time.Hour), (7 * 24 * time.Hour).Seconds(), 500, 128, 192); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "Tid Range Scan on sessions") || strings.Contains(plan, "Seq Scan on sessions") {
		t.Errorf("the janitor's batch does not read by page range:\n%s", plan)
	}
}
