package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"time"
)

// RevokeSessionAudited marks one of a user's live sessions revoked and appends the audit
// event that records it, in one statement on its own (a data-modifying CTE, autocommit,
// prepared): one round trip where an UPDATE plus Tx.InsertAuditEvent in InTx took
// six, and still the event exists if and only if the revocation happened. e is the event
// as the acting side sees it (type, actor, ip, details); the revoked row fills in its
// user_id, session_id, device_label, created_at (the revocation time) and the "browser"
// and "os" of its details. ErrNotFound when the session is not the user's or was already
// revoked. The event is logged like a committed one of InTx.
func (s *Store) RevokeSessionAudited(ctx context.Context, userID, id, bySessionID, reason string, now time.Time, e AuditEvent) (Session, error) {
	var row struct {
		Session
		EventID int64 `db:"event_id"`
	}
	// locked takes the user's row, after the session's, before the audit insert's foreign
	// key check would KEY SHARE it: the security_rev triggers (migration 00005) update that
	// row at the end of the statement anyway, and shared lockers first turn concurrent
	// revokes of one user into a pile of multixacts (measured at 32 concurrent: ~250
	// revokes/s and 5 multixacts each, against ~900/s and none).
	err := s.getPrepared(ctx, &row, `
		WITH revoked AS (
			UPDATE sessions
			SET revoked_at = $4, revoked_by_session_id = NULLIF($3, '')::uuid, revoke_reason = $5
			WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
			RETURNING `+sessionColumns+`
		), locked AS (
			SELECT true AS user_locked FROM users WHERE id = (SELECT user_id FROM revoked) FOR NO KEY UPDATE
		), event AS (
			INSERT INTO audit_events (user_id, type, session_id, actor_session_id, ip, device_label, created_at, details)
			SELECT user_id, $6::text, id, $7::uuid, $8::text, label, revoked_at,
				$9::jsonb || jsonb_build_object('browser', browser, 'os', os)
			FROM revoked CROSS JOIN locked
			RETURNING id AS event_id
		)
		SELECT `+sessionColumns+`, event_id FROM revoked CROSS JOIN event`,
		id, userID, bySessionID, now, reason, e.Type, e.ActorSessionID, e.IP, e.Details)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("revoke session %s: %w", id, err)
	}
	e.ID, e.UserID, e.SessionID = row.EventID, row.UserID, NullID(row.ID)
	e.DeviceLabel, e.CreatedAt = row.Label, row.RevokedAt.Time
	e.Details = maps.Clone(e.Details)
	if e.Details == nil {
		e.Details = Details{}
	}
	e.Details["browser"], e.Details["os"] = row.Browser, row.OS
	s.audit.log(ctx, []AuditEvent{e})
	return row.Session, nil
}
