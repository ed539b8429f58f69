package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrNoChallenge is a proof whose challenge was already used.
var ErrNoChallenge = errors.New("challenge already used")

// UseDBSCChallenge records that a (signed, live) challenge of the session has been
// answered, in one statement: of two requests with the same proof exactly one inserts the
// row, the other gets ErrNoChallenge. It drops the session's expired ones on the way.
func (s *Store) UseDBSCChallenge(ctx context.Context, sessionID, challenge string, now, expires time.Time) error {
	return useDBSCChallenge(ctx, s.db, sessionID, challenge, now, expires)
}

// UseDBSCChallenge is Store.UseDBSCChallenge inside a transaction (a registration's, which
// binds the session in the same commit).
func (t *Tx) UseDBSCChallenge(ctx context.Context, sessionID, challenge string, now, expires time.Time) error {
	return useDBSCChallenge(ctx, t.tx, sessionID, challenge, now, expires)
}

func useDBSCChallenge(ctx context.Context, q sqlx.QueryerContext, sessionID, challenge string, now, expires time.Time) error {
	var one int
	err := sqlx.GetContext(ctx, q, &one, `
		WITH dropped AS (DELETE FROM dbsc_used_challenges WHERE session_id = $1 AND expires_at <= $3)
		INSERT INTO dbsc_used_challenges (challenge, session_id, expires_at) VALUES ($2, $1, $4)
		ON CONFLICT (challenge) DO NOTHING
		RETURNING 1`, sessionID, challenge, now, expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoChallenge
	}
	if err != nil {
		return fmt.Errorf("use dbsc challenge of %s: %w", sessionID, err)
	}
	return nil
}

// BindSession stores the public key of a live, not yet bound session and returns the
// row; ErrNotFound when the session is revoked, expired or already bound.
func (t *Tx) BindSession(ctx context.Context, sessionID, key string, now time.Time) (Session, error) {
	var row Session
	err := t.tx.GetContext(ctx, &row, `
		UPDATE sessions SET dbsc_key = $2
		WHERE id = $1 AND dbsc_key IS NULL AND revoked_at IS NULL AND expires_at > $3
		RETURNING `+sessionColumns, sessionID, key, now)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("bind session %s: %w", sessionID, err)
	}
	return row, nil
}

// SessionDBSCKey is the public key a session is bound to; ErrNotFound when it is not bound.
func (s *Store) SessionDBSCKey(ctx context.Context, sessionID string) (string, error) {
	var key sql.NullString
	err := s.db.GetContext(ctx, &key, `SELECT dbsc_key FROM sessions WHERE id = $1`, sessionID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !key.Valid) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("dbsc key of %s: %w", sessionID, err)
	}
	return key.String, nil
}
