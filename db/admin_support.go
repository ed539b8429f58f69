package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UserMatch is a person found by the support search, with their count of live sessions.
type UserMatch struct {
	ID              string       `db:"id"`
	Email           string       `db:"email"`
	Name            string       `db:"name"`
	CreatedAt       time.Time    `db:"created_at"`
	EmailVerifiedAt sql.NullTime `db:"email_verified_at"`
	LiveSessions    int          `db:"live_sessions"`
}

// SearchUsers finds people whose email contains q, ignoring case, best matches first (the
// exact address, then the ones that start with q).
func (s *Store) SearchUsers(ctx context.Context, q string, now time.Time, limit int) ([]UserMatch, error) {
	var rows []UserMatch
	err := s.db.SelectContext(ctx, &rows, `
		SELECT u.id, u.email, u.name, u.created_at, u.email_verified_at,
			(SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > $2) AS live_sessions
		FROM users u
		WHERE strpos(lower(u.email), lower($1)) > 0
		ORDER BY lower(u.email) = lower($1) DESC, strpos(lower(u.email), lower($1)), lower(u.email)
		LIMIT $3`, q, now, limit)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return rows, nil
}

// EventSessionEndedByAdmin: an administrator ended the session (support).
const EventSessionEndedByAdmin = "session_ended_by_admin"

// AdminEnd is an administrator's request to end one of a person's live sessions (ID), or
// all of them (ID "").
type AdminEnd struct {
	UserID, ID string
	Reason     string  // sessions.revoke_reason: "admin:<code>"
	Details    Details // the audit event's: the reason code and the administrator's note
	Now        time.Time
}

// EndSessionsByAdmin ends the live session(s) the request names, each with a
// session_ended_by_admin event in the person's activity, and returns the ones it ended.
// The users row is locked first (acting.go's lock 1).
func (t *Tx) EndSessionsByAdmin(ctx context.Context, e AdminEnd) ([]Session, error) {
	if _, err := t.tx.ExecContext(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, e.UserID); err != nil {
		return nil, fmt.Errorf("end sessions by admin: lock user: %w", err)
	}
	var rows []Session
	err := t.tx.SelectContext(ctx, &rows, `
		WITH ended AS (
			UPDATE sessions SET revoked_at = $3, revoke_reason = $4
			WHERE user_id = $1 AND revoked_at IS NULL AND expired_logged_at IS NULL AND expires_at > $3
				AND ($2::uuid IS NULL OR id = $2::uuid)
			RETURNING `+sessionColumns+`
		), events AS (
			INSERT INTO audit_events (user_id, type, session_id, ip, device_label, created_at, details)
			SELECT user_id, '`+EventSessionEndedByAdmin+`', id, ip, label, $3,
				$5::jsonb || jsonb_build_object('browser', browser, 'os', os)
			FROM ended
		)
		SELECT `+sessionColumns+` FROM ended ORDER BY created_at DESC`,
		e.UserID, NullID(e.ID), e.Now, e.Reason, e.Details)
	if err != nil {
		return nil, fmt.Errorf("end sessions by admin: %w", err)
	}
	return rows, nil
}
