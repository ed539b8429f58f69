package db_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// Every write to what a user's security page shows moves the user's security_rev (the
// in-memory lists are checked against it), whichever path makes it; a transaction that
// writes several things moves it too, and another user's writes leave it alone.
func TestEveryWriteMovesTheSecurityRevision(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, sessions := newUserWithSessions(t, store, "rev@example.test", 3)
	other, _ := newUserWithSessions(t, store, "zrev@example.test", 1)
	rev := func(userID string) int64 {
		var n int64
		if err := store.DB().GetContext(ctx, &n, `SELECT security_rev FROM users WHERE id = $1`, userID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	last, otherRev := rev(user.ID), rev(other.ID)
	if last == 0 {
		t.Fatal("a new user's security_rev is 0, which the app reads as unknown (never cached)")
	}
	moved := func(what string) {
		t.Helper()
		if now := rev(user.ID); now <= last {
			t.Errorf("%s: security_rev %d, was %d; want it moved", what, now, last)
		} else {
			last = now
		}
	}
	inTx := func(fn func(tx *db.Tx) error) {
		t.Helper()
		if err := store.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()

	inTx(func(tx *db.Tx) error {
		hash := sha256.Sum256([]byte("a new one"))
		_, err := tx.CreateSession(ctx, db.NewSession{UserID: user.ID, TokenHash: hash[:], CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		return err
	})
	moved("sign-in")
	if _, err := store.DB().ExecContext(ctx, `UPDATE sessions SET label = 'renamed' WHERE id = $1`, sessions[0].ID); err != nil {
		t.Fatal(err)
	}
	moved("any update of a session")
	// A last-seen touch is the exception: it only moves "last active", which cached views
	// may show up to their TTL late.
	if err := store.TouchSession(ctx, db.Touch{ID: sessions[0].ID, Now: now.Add(5 * time.Minute), Since: now.Add(5 * time.Minute).Add(-time.Minute), IP: sessions[0].IP}); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	if err := store.DB().GetContext(ctx, &seen, `SELECT last_seen_at FROM sessions WHERE id = $1`, sessions[0].ID); err != nil {
		t.Fatal(err)
	}
	if !seen.After(now.Add(4 * time.Minute)) {
		t.Fatalf("the touch did not move last_seen_at (%v)", seen)
	}
	if now := rev(user.ID); now != last {
		t.Errorf("a last-seen touch moved security_rev from %d to %d", last, now)
	}
	if _, err := store.RevokeSessionAudited(ctx, user.ID, sessions[1].ID, &sessions[0], "revoked", now, db.EventSessionRevoked); err != nil {
		t.Fatal(err)
	}
	moved("revoke (session and audit event in one statement)")
	inTx(func(tx *db.Tx) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: user.ID, Type: db.EventSignInFailed, Details: db.Details{}})
	})
	moved("audit event alone")
	inTx(func(tx *db.Tx) error { return tx.CreateNotice(ctx, user.ID, sessions[2].ID, false, 0, now) })
	moved("notice")
	inTx(func(tx *db.Tx) error {
		// The users row first, then an audit event: the event's trigger finds the row
		// already written by this transaction, whose own update moved the revision.
		if err := tx.UpdatePasswordHash(ctx, user.ID, "hash", "new-hash", now); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, db.AuditEvent{UserID: user.ID, Type: db.EventPasswordChanged, Details: db.Details{}})
	})
	moved("password change")
	inTx(func(tx *db.Tx) error {
		_, err := tx.RevokeOtherSessions(ctx, user.ID, sessions[0].ID, "revoked", now)
		return err
	})
	moved("revoke all others")
	if _, err := store.DB().ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sessions[2].ID); err != nil {
		t.Fatal(err)
	}
	moved("session deleted (retention)")
	if got := rev(other.ID); got != otherRev {
		t.Errorf("the other user's security_rev moved from %d to %d", otherRev, got)
	}
}
