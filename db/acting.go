package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSessionEnded means the session a write was made on behalf of is revoked (or gone):
// the write must not happen.
var ErrSessionEnded = errors.New("acting session ended")

// ErrSessionNotFresh means the acting session is live but last proved the password before
// the time a write required (the re-authentication window): the write must not happen.
var ErrSessionNotFresh = errors.New("acting session not fresh")

// Lock order. Every transaction that writes a user's sessions, notices, audit events or
// credentials takes its row locks in one order, so two of them never wait on each other
// in a cycle:
//
//  1. the users row (FOR NO KEY UPDATE),
//  2. the acting session's row (FOR NO KEY UPDATE),
//  3. the sessions it writes, then notices, audit events and the outbox.
//
// The security_rev triggers (migration 00005) update the users row after each of those
// writes; taking it first makes them re-enter a lock the transaction already holds. A
// last-seen touch writes only its own session row and fires no trigger, so it never waits
// for the users row. Holding the users row also serialises all of one user's writers:
// each one sees every write committed before it, whatever their snapshots were.
//
// Under READ COMMITTED a statement that waited for a lock still reads with the snapshot
// it started with; only the rows it locks are re-read at their newest version (and its
// conditions re-checked). So "the acting session is live" is decided by locking that
// row, never by reading it: a revocation committed while this statement waited makes the
// locked row fail revoked_at IS NULL, and the statement writes nothing.

// actingSessionCTEs are the WITH items that take locks 1 and 2: user_locked holds the
// users row, actor the acting session's id while it is live. $userParam and $actorParam
// are the positional parameters of the user's and the acting session's ids. The EXISTS
// tests are uncorrelated, so PostgreSQL runs them once, before the scan they gate: the
// users row is locked before the session's.
func actingSessionCTEs(userParam, actorParam string) string {
	return `user_locked AS (
			SELECT id FROM users WHERE id = ` + userParam + ` FOR NO KEY UPDATE
		), actor AS (
			SELECT id, proven_at FROM sessions
			WHERE EXISTS (SELECT FROM user_locked) AND id = ` + actorParam + `::uuid
				AND user_id = ` + userParam + ` AND revoked_at IS NULL
			FOR NO KEY UPDATE
		)`
}

// LockActingSession takes the users row and the acting session's row, in that order (see
// "Lock order"), and fails with ErrSessionEnded unless the session is the user's and not
// revoked. Call it first in a transaction that writes on behalf of a session: nothing that
// revokes the session can then commit before this transaction does, and a revocation
// committed before it is seen.
func (t *Tx) LockActingSession(ctx context.Context, userID, sessionID string) error {
	var id string
	err := t.tx.GetContext(ctx, &id, `
		WITH `+actingSessionCTEs("$1", "$2")+`
		SELECT id FROM actor`, userID, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrSessionEnded
	}
	if err != nil {
		return fmt.Errorf("lock acting session %s: %w", sessionID, err)
	}
	return nil
}

// LockFreshActingSession is LockActingSession for a write that also needs the session to
// have proved the password after since (the re-authentication window): the check
// reads the locked row, so it sees a re-authentication committed while it waited.
// ErrSessionNotFresh when it is live but older; a zero since asks nothing more.
func (t *Tx) LockFreshActingSession(ctx context.Context, userID, sessionID string, since time.Time) error {
	var provenAt time.Time
	err := t.tx.GetContext(ctx, &provenAt, `
		WITH `+actingSessionCTEs("$1", "$2")+`
		SELECT proven_at FROM actor`, userID, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrSessionEnded
	}
	if err != nil {
		return fmt.Errorf("lock acting session %s: %w", sessionID, err)
	}
	if !provenAt.After(since) {
		return ErrSessionNotFresh
	}
	return nil
}

// MarkProven records that the (locked) acting session proved the password at now.
func (t *Tx) MarkProven(ctx context.Context, sessionID string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE sessions SET proven_at = GREATEST(proven_at, $2) WHERE id = $1`, sessionID, now)
	if err != nil {
		return fmt.Errorf("mark session %s proven: %w", sessionID, err)
	}
	return nil
}

// LockCredential takes the users row (lock 1) and returns the password hash it holds now:
// a sign-in that verified an older hash must not start a session (a password change that
// ended every other session would otherwise miss it).
func (t *Tx) LockCredential(ctx context.Context, userID string) (string, error) {
	var hash string
	err := t.tx.GetContext(ctx, &hash, `
		SELECT password_hash FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("lock credential of %s: %w", userID, err)
	}
	return hash, nil
}

// SessionLive reports whether a session exists and is not revoked, and whether it proved
// the password after since; it tells apart the reasons a locked write found nothing
// to do, after the fact.
func (s *Store) SessionLive(ctx context.Context, id string, since time.Time) (live, fresh bool, err error) {
	var row struct {
		Live  bool `db:"live"`
		Fresh bool `db:"fresh"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT count(*) > 0 AS live, coalesce(bool_or(proven_at > $2), false) AS fresh
		FROM sessions WHERE id = $1 AND revoked_at IS NULL`, id, since)
	if err != nil {
		return false, false, fmt.Errorf("session %s live: %w", id, err)
	}
	return row.Live, row.Fresh, nil
}
