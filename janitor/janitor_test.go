package janitor_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/janitor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestSweepDeletesOnlyWhatOutlivedItsRetention(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	idle := 7 * day

	keep := map[string]bool{}         // session id -> must survive
	revoked := map[string]time.Time{} // session id -> when it was revoked
	var userID string
	err := store.InTx(ctx, func(tx *db.Tx) error {
		u, err := tx.CreateUser(ctx, "old@example.com", "Old", "hash")
		if err != nil {
			return err
		}
		userID = u.ID
		add := func(name string, created, expires time.Time, revokedAt *time.Time, survive bool) error {
			hash := sha256.Sum256([]byte(name))
			s, err := tx.CreateSession(ctx, db.NewSession{UserID: u.ID, TokenHash: hash[:], CreatedAt: created, ExpiresAt: expires})
			if err != nil {
				return err
			}
			if revokedAt != nil {
				revoked[s.ID] = *revokedAt
			}
			keep[s.ID] = survive
			return nil
		}
		old, recent := now.Add(-40*day), now.Add(-10*day)
		// Revoked 40 days ago (many of them: several batches); revoked 10 days ago; live.
		for i := range 7 {
			if err := add(fmt.Sprint("revoked-old-", i), old.Add(-day), now.Add(day), &old, false); err != nil {
				return err
			}
		}
		if err := add("revoked-recent", recent.Add(-day), now.Add(day), &recent, true); err != nil {
			return err
		}
		// Past its lifetime 40 days ago; idle for 50 days (ended 43 days ago); live.
		if err := add("expired-old", now.Add(-70*day), old, nil, false); err != nil {
			return err
		}
		if err := add("idle-old", now.Add(-50*day), now.Add(day), nil, false); err != nil {
			return err
		}
		if err := add("live", now.Add(-day), now.Add(29*day), nil, true); err != nil {
			return err
		}
		for _, age := range []time.Duration{400 * day, 366 * day, 364 * day, day} {
			if err := tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: u.ID, Type: db.EventSignIn, CreatedAt: now.Add(-age)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Revoked in the past and without an audit event, which no path of the app makes: the
	// events are the other half of this test's count.
	for id, at := range revoked {
		if _, err := store.DB().ExecContext(ctx, `UPDATE sessions SET revoked_at = $2, revoke_reason = 'revoked' WHERE id = $1`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	// last_seen_at starts at created_at: "idle-old" was last seen 50 days ago.

	// Two instances sweep at once, in batches of two: together they delete each row once.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	results := make([]janitor.Result, 2)
	for i := range results {
		j := janitor.New(store, log, janitor.Options{IdleTimeout: idle, Batch: 2})
		j.SetClock(func() time.Time { return now })
		wg.Go(func() {
			r, err := j.Sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	// A sweep skips users rows another sweep holds (db.DeleteEndedSessions), so under load
	// either may stop before the other is done: sweep on until one finds nothing. Each row
	// is still deleted once: the total is exact.
	deleted := results[0].Sessions + results[1].Sessions
	for range 10 {
		j := janitor.New(store, log, janitor.Options{IdleTimeout: idle, Batch: 2})
		j.SetClock(func() time.Time { return now })
		r, err := j.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Sessions == 0 {
			break
		}
		deleted += r.Sessions
	}
	if deleted != 9 {
		t.Errorf("want 9 ended sessions deleted, got %d", deleted)
	}
	if got := results[0].Events + results[1].Events; got != 2 {
		t.Errorf("want the 2 events older than 365 days deleted, got %d", got)
	}
	for id, survive := range keep {
		_, err := store.UserSession(ctx, userID, id)
		if exists := err == nil; exists != survive {
			t.Errorf("session %s: exists=%v, want %v (%v)", id, exists, survive, err)
		}
	}
	events, err := store.AuditEvents(ctx, userID, nil, 100)
	if err != nil || len(events) != 2 {
		t.Fatalf("want 2 recent events kept, got %d (%v)", len(events), err)
	}
	// A second sweep finds nothing.
	j := janitor.New(store, log, janitor.Options{IdleTimeout: idle})
	j.SetClock(func() time.Time { return now })
	if r, err := j.Sweep(ctx); err != nil || r != (janitor.Result{}) {
		t.Fatalf("second sweep: %+v %v", r, err)
	}
}

func TestSweepDeletesExpiredVerificationLinks(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	link := func(name string) []byte { h := sha256.Sum256([]byte(name)); return h[:] }
	err := store.InTx(ctx, func(tx *db.Tx) error {
		u, err := tx.CreateUser(ctx, "verify@example.com", "V", "hash")
		if err != nil {
			return err
		}
		for name, expires := range map[string]time.Time{
			"expired-used": now.Add(-time.Hour), "expired-unused": now.Add(-time.Minute),
			"live": now.Add(time.Hour),
		} {
			if err := tx.CreateEmailVerification(ctx, link(name), u.ID, u.Email, expires.Add(-24*time.Hour), expires); err != nil {
				return err
			}
		}
		_, err = tx.UseEmailVerification(ctx, link("expired-used"), now.Add(-2*time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	j := janitor.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), janitor.Options{IdleTimeout: time.Hour, Batch: 1})
	j.SetClock(func() time.Time { return now })
	r, err := j.Sweep(ctx)
	if err != nil || r.Verifications != 2 {
		t.Fatalf("sweep: %+v %v, want the 2 expired links deleted", r, err)
	}
	var left []string
	if err := store.DB().SelectContext(ctx, &left, `SELECT encode(token_hash, 'hex') FROM email_verifications`); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", link("live")); len(left) != 1 || left[0] != want {
		t.Errorf("links left %v, want only the live one %s", left, want)
	}
}

// A sweep walks the table a few pages at a time (ScanPages), each range until a batch
// comes back short: every ended session past retention is deleted, wherever it is stored,
// and nothing else.
func TestSweepWalksTheTableInPageRanges(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	// 60 users, 40 sessions each (~160 heap pages): every third ended 40 days ago, every
	// seventh of the rest 10 days ago (kept), the rest live.
	dbtest.SeedUsers(t, store, 60)
	_, err := store.DB().ExecContext(ctx, `
		INSERT INTO sessions (user_id, token_hash, user_agent, created_at, last_seen_at, expires_at, revoked_at)
		SELECT `+dbtest.SeededUserID("u")+`,
			sha256(convert_to(u || ':' || j, 'UTF8')), repeat('x', 400), now() - interval '50 days', now() - interval '1 hour',
			now() + interval '20 days',
			CASE WHEN (u * 40 + j) % 3 = 0 THEN now() - interval '40 days' WHEN (u * 40 + j) % 7 = 0 THEN now() - interval '10 days' END
		FROM generate_series(0, 59) u, generate_series(0, 39) j;`)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := store.SessionHeapPages(ctx)
	if err != nil || pages < 20 {
		t.Fatalf("sessions table has %d pages (%v): too few for the ranges to matter", pages, err)
	}
	j := janitor.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)),
		janitor.Options{IdleTimeout: 7 * 24 * time.Hour, Batch: 3, ScanPages: 2})
	r, err := j.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sessions != 800 { // 2,400 sessions, every third
		t.Errorf("deleted %d sessions, want 800", r.Sessions)
	}
	var left, past int
	if err := store.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE revoked_at < now() - interval '30 days') FROM sessions`).Scan(&left, &past); err != nil {
		t.Fatal(err)
	}
	if left != 1600 || past != 0 {
		t.Errorf("left %d sessions (%d past retention), want 1600 (0)", left, past)
	}
}

// A sweep rests after each statement for (1-Duty)/Duty of the time it took, by its clock:
// here every statement "takes" 10 ms, so at Duty 0.25 each rest is 30 ms; at 1, none.
func TestSweepRestsBetweenStatements(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	dbtest.SeedUsers(t, store, 4)
	seed := `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
		SELECT ` + dbtest.SeededUserID("u") + `, sha256(convert_to($1 || u || ':' || j, 'UTF8')), now() - interval '50 days',
			now() - interval '45 days', now() + interval '20 days', now() - interval '40 days'
		FROM generate_series(0, 3) u, generate_series(0, 9) j`
	for _, tc := range []struct {
		duty float64
		rest time.Duration // each one; zero: none
	}{{0.25, 30 * time.Millisecond}, {1, 0}} {
		if _, err := store.DB().ExecContext(ctx, seed, fmt.Sprint(tc.duty)); err != nil {
			t.Fatal(err)
		}
		j := janitor.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)),
			janitor.Options{IdleTimeout: 7 * 24 * time.Hour, Batch: 7, ScanPages: 1, Duty: tc.duty})
		clock := time.Now()
		j.SetClock(func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock })
		var rests []time.Duration
		j.SetSleep(func(_ context.Context, d time.Duration) { rests = append(rests, d) })
		r, err := j.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Sessions != 40 {
			t.Errorf("duty %v: deleted %d sessions, want 40", tc.duty, r.Sessions)
		}
		if tc.rest == 0 && len(rests) != 0 {
			t.Errorf("duty %v: rested %v, want never", tc.duty, rests)
		}
		if tc.rest != 0 && len(rests) < 40/7 { // at least one per full batch
			t.Errorf("duty %v: rested %d times, want after every statement", tc.duty, len(rests))
		}
		for _, d := range rests {
			if tc.rest != 0 && d != tc.rest {
				t.Errorf("duty %v: rested %v after a 10 ms statement, want %v", tc.duty, d, tc.rest)
			}
		}
	}
}
