package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// waitForLockWaiter returns once some backend waits for a lock (bounded by ctx).
func waitForLockWaiter(ctx context.Context, t *testing.T, store *db.Store) {
	t.Helper()
	for {
		var n int
		if err := store.DB().GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("nothing waited for the lock")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// READ COMMITTED: a LockActingSession that waited for a revocation of its session sees
// the revocation once it commits, although its statement's snapshot is older: the
// locked row is re-read at its newest version and fails revoked_at IS NULL.
func TestLockActingSessionSeesRevocationItWaitedFor(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	user, s := newUserWithSessions(t, store, "waiter@example.com", 2)
	actor := s[0]
	if err := store.InTx(ctx, func(tx *db.Tx) error { return tx.LockActingSession(ctx, user.ID, actor.ID) }); err != nil {
		t.Fatalf("live session: %v", err)
	}

	revoker, err := store.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer revoker.Rollback()
	if _, err := revoker.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE id = $1`, actor.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- store.InTx(ctx, func(tx *db.Tx) error { return tx.LockActingSession(ctx, user.ID, actor.ID) })
	}()
	waitForLockWaiter(ctx, t, store)
	if err := revoker.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, db.ErrSessionEnded) {
		t.Fatalf("after waiting for the revocation: %v, want ErrSessionEnded", err)
	}
	// Another user's session is never an acting session of this user.
	other, others := newUserWithSessions(t, store, "other-waiter@example.com", 1)
	if err := store.InTx(ctx, func(tx *db.Tx) error { return tx.LockActingSession(ctx, user.ID, others[0].ID) }); !errors.Is(err, db.ErrSessionEnded) {
		t.Fatalf("another user's session (%s): %v", other.ID, err)
	}
}

// The janitor never waits for a user's row that a writer holds: that user's ended
// sessions wait for the next sweep, everyone else's go now.
func TestDeleteEndedSessionsSkipsUsersBeingWritten(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	busy, mine := newUserWithSessions(t, store, "busy-writer@example.com", 2)
	newUserWithSessions(t, store, "idle-writer@example.com", 1)
	cutoff := time.Now().Add(2 * time.Hour) // every session here ended an hour from now

	writer, err := store.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback()
	if _, err := writer.ExecContext(ctx, `SELECT FROM users WHERE id = $1 FOR NO KEY UPDATE`, busy.ID); err != nil {
		t.Fatal(err)
	}
	sweep, cancelSweep := context.WithTimeout(ctx, 5*time.Second)
	defer cancelSweep()
	n, err := store.DeleteEndedSessions(sweep, cutoff, time.Hour, db.AllHeapPages, 100)
	if err != nil || n != 1 {
		t.Fatalf("sweep while a writer holds a user: %d, %v; want the other user's 1 session", n, err)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := store.DeleteEndedSessions(ctx, cutoff, time.Hour, db.AllHeapPages, 100); err != nil || n != len(mine) {
		t.Fatalf("next sweep: %d, %v; want %d", n, err, len(mine))
	}
}
