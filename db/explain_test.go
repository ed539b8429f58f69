package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db/dbtest"
)

// TestPlannerUsesIndexes checks, on a table big enough for the planner to care, that the two
// queries behind every authenticated read use their indexes: the token lookup its unique
// index, the sessions list the partial index of live sessions. For a user's ~50 rows spread
// over as many heap pages the planner may pick a Bitmap Index Scan of that index; either
// form reads only the user's live rows, never the table.
func TestPlannerUsesIndexes(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	_, err := store.DB().ExecContext(ctx, `
		INSERT INTO users (id, email, name, password_hash)
		SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid, 'u' || u || '@example.test', 'U', 'x'
		FROM generate_series(0, 399) u;
		INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
		SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
			sha256(convert_to(u || ':' || j, 'UTF8')), now() - j * interval '1 hour', now(),
			now() + interval '30 days', CASE WHEN j % 10 = 9 THEN now() END
		FROM generate_series(0, 399) u, generate_series(0, 49) j;
		ANALYZE users; ANALYZE sessions;`)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		name, query, index string
		args               []any
	}{
		// The batched lookup (session_lookup.go): one index probe per hash of the batch.
		{"sessions by token hashes", `EXPLAIN SELECT s.id, u.email, u.security_rev FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = ANY($1)`, "sessions_token_hash_key",
			[]any{pq.ByteaArray{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}}},
		{"active sessions", `EXPLAIN SELECT id FROM sessions
			WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
			ORDER BY created_at DESC, id`, "sessions_user_active_idx",
			[]any{"00000000-0000-4000-a000-000000000007", now, now.Add(-7 * 24 * time.Hour)}},
		// The "recently ended" list: revoked or expired, so every row of the user.
		{"all sessions of a user", `EXPLAIN SELECT id FROM sessions
			WHERE user_id = $1 AND LEAST(revoked_at, expires_at) < now()`, "sessions_user_idx",
			[]any{"00000000-0000-4000-a000-000000000007"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			if err := store.DB().SelectContext(ctx, &lines, tc.query, tc.args...); err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, "Index Scan using "+tc.index) && !strings.Contains(plan, "Bitmap Index Scan on "+tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, plan)
			}
			if strings.Contains(plan, "Seq Scan on sessions") {
				t.Errorf("plan scans the sessions table:\n%s", plan)
			}
		})
	}
}
