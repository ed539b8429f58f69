package db_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// The ended list says when each session ended, the first of its ends: revoked, expired,
// idle, or past the lifetime in force. A session revoked after it had idled out ended when
// it idled (its last_seen_at read from the revoked sessions' index, migration 00022). The
// list is latest first, at most Ended long, and counts every session that ended in the
// window; live sessions and those that ended before it are neither listed nor counted.
func TestEndedSessionsEndAtTheirFirstEnd(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	dbtest.SeedUsers(t, store, 2)
	now := time.Now().UTC().Truncate(time.Microsecond)
	const idle, lifetime = 2 * time.Hour, 48 * time.Hour
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))) }
	at := func(t time.Time) *time.Time { return &t }
	sessions := []endedCase{
		{"revoked while in use", h(-10), h(-1.5), h(100), at(h(-1)), h(-1)},
		{"revoked after it idled out", h(-20), h(-9), h(100), at(h(-3)), h(-7)},
		{"expired", h(-30), h(-4.5), h(-4), nil, h(-4)},
		{"idled out", h(-10), h(-7.5), h(100), nil, h(-5.5)},
		{"past the lifetime", h(-50), h(-0.5), h(100), nil, h(-2)},
		{"revoked before the window", h(-40), h(-39), h(100), at(h(-30)), time.Time{}},
		{"expired before the window", h(-40), h(-35), h(-30), nil, time.Time{}},
		{"live", h(-1), h(-0.25), h(100), nil, time.Time{}},
	}
	user := "00000000-0000-4000-a000-000000000001"
	ids := map[string]string{}
	for _, s := range sessions {
		var id string
		err := store.DB().GetContext(ctx, &id, `
			INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
			VALUES ($1, sha256(convert_to($2, 'UTF8')), $3, $4, $5, $6) RETURNING id`,
			user, s.name, s.created, s.lastSeen, s.expires, s.revoked)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = s.name
		// Another person's session beside each: neither listed nor counted.
		if _, err := store.DB().ExecContext(ctx, `
			INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
			VALUES ('00000000-0000-4000-a000-000000000000', sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5)`,
			s.name+" other", s.created, s.lastSeen, s.expires, s.revoked); err != nil {
			t.Fatal(err)
		}
	}
	var want []endedCase
	for _, s := range sessions {
		if !s.endedAt.IsZero() {
			want = append(want, s)
		}
	}
	slices.SortFunc(want, func(a, b endedCase) int { return b.endedAt.Compare(a.endedAt) })
	for _, limit := range []int{len(want), 3} {
		got, err := store.SecurityActivity(ctx, db.ActivityQuery{UserID: user, ViewerID: user, Now: now,
			Ended: limit, EndedSince: h(-24), Idle: idle, Lifetime: lifetime})
		if err != nil {
			t.Fatal(err)
		}
		if got.EndedTotal != len(want) || len(got.Ended) != limit {
			t.Fatalf("limit %d: %d listed of %d; want %d of %d", limit, len(got.Ended), got.EndedTotal, limit, len(want))
		}
		for i, e := range got.Ended {
			if name := ids[e.ID]; name != want[i].name || !e.EndedAt.Equal(want[i].endedAt) {
				t.Errorf("limit %d, row %d: %q ended at %v; want %q at %v", limit, i, name, e.EndedAt, want[i].name, want[i].endedAt)
			}
			if e.RevokedAt.Valid != (want[i].revoked != nil) {
				t.Errorf("%q: revoked %v", want[i].name, e.RevokedAt)
			}
		}
	}
}

type endedCase struct {
	name                       string
	created, lastSeen, expires time.Time
	revoked                    *time.Time
	endedAt                    time.Time // zero: live, or ended before the window
}

// The last-seen write of a live session stays a heap-only update: the revoked sessions'
// index holds revoked_last_seen_at, NULL until a session is revoked, never last_seen_at.
func TestTouchIsAHeapOnlyUpdate(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	dbtest.SeedUsers(t, store, 1)
	tx, err := store.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `
		INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
		SELECT '00000000-0000-4000-a000-000000000000', sha256(convert_to(n::text, 'UTF8')),
			now() - interval '1 day', now() - interval '1 hour', now() + interval '1 day', NULL
		FROM generate_series(1, 2) n RETURNING id`); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	res, err := tx.ExecContext(ctx, db.TouchSessionsSQL, pq.StringArray(ids), pq.StringArray{now, now}, pq.StringArray{now, now},
		pq.StringArray{"192.0.2.1", "192.0.2.1"}, pq.StringArray{"", ""}, pq.StringArray{"", ""}, pq.StringArray{"", ""})
	if err != nil {
		t.Fatal(err)
	}
	var hot int
	if err := tx.GetContext(ctx, &hot, `SELECT pg_stat_get_xact_tuples_hot_updated('sessions'::regclass)`); err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 || hot != 2 {
		t.Errorf("%d sessions touched, %d of them heap-only; want 2 and 2", n, hot)
	}
}
