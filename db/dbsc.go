package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoChallenge is a proof whose challenge was not issued to the session, has expired or
// was already used.
var ErrNoChallenge = errors.New("no such challenge")

// AddDBSCChallenge records a challenge issued to a session, and drops the session's
// expired ones (a session has few: the handlers rate limit issuing them).
func (s *Store) AddDBSCChallenge(ctx context.Context, sessionID, challenge string, now, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		WITH dropped AS (DELETE FROM dbsc_challenges WHERE session_id = $1 AND expires_at <= $3)
		INSERT INTO dbsc_challenges (challenge, session_id, expires_at) VALUES ($2, $1, $4)`,
		sessionID, challenge, now, expires)
	if err != nil {
		return fmt.Errorf("add dbsc challenge for %s: %w", sessionID, err)
	}
	return nil
}

// ConsumeDBSCChallenge uses up a live challenge of the session: one statement, so of two
// requests with the same proof exactly one finds the row. ErrNoChallenge otherwise.
func (t *Tx) ConsumeDBSCChallenge(ctx context.Context, sessionID, challenge string, now time.Time) error {
	var one int
	err := t.tx.GetContext(ctx, &one, `
		DELETE FROM dbsc_challenges
		WHERE challenge = $2 AND session_id = $1 AND expires_at > $3
		RETURNING 1`, sessionID, challenge, now)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoChallenge
	}
	if err != nil {
		return fmt.Errorf("consume dbsc challenge of %s: %w", sessionID, err)
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
