package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RevokeSessionAudited marks one of a user's live sessions revoked by the session by (nil:
// by none) and appends the audit event of type eventType that records it, in one statement
// on its own (a data-modifying CTE, autocommit, prepared): one round trip where an UPDATE
// plus Tx.InsertAuditEvent in InTx took six, and still the event exists if and only if the
// revocation happened. It takes its locks in the order of acting.go (users row, acting
// session, target) and, when by is given, writes nothing unless that session is live
// then: ErrSessionEnded. The event is SessionEvent's for the revoked row: the statement
// takes the actor's part from it and the session's part from the row. ErrNotFound when the
// session is not the user's or was already revoked. The event is logged like a committed
// one of InTx.
func (s *Store) RevokeSessionAudited(ctx context.Context, userID, id string, by *Session, reason string, now time.Time, eventType string) (Session, error) {
	return s.RevokeSessionAuditedFresh(ctx, userID, id, by, reason, now, eventType, time.Time{})
}

// RevokeSessionAuditedFresh is RevokeSessionAudited that also needs the acting session to
// have proved the password after freshSince (the re-authentication window), read
// from the row it locks: ErrSessionNotFresh when it did not. A zero freshSince asks
// nothing more.
func (s *Store) RevokeSessionAuditedFresh(ctx context.Context, userID, id string, by *Session, reason string, now time.Time, eventType string, freshSince time.Time) (Session, error) {
	var byID sql.NullString
	if by != nil {
		byID = sql.NullString{String: by.ID, Valid: true}
	}
	// The statement takes the actor's part (ip, details) from here and overwrites the
	// session's part from the row it revokes, as SessionEvent does below.
	actor := SessionEvent(eventType, Session{}, by, now)
	var row struct {
		Session
		EventID int64 `db:"event_id"`
	}
	// user_locked takes the users row first: the audit insert's foreign key check would
	// KEY SHARE it and the security_rev triggers (migration 00005) update it at the end of
	// the statement anyway, and shared lockers first turn concurrent revokes of one user
	// into a pile of multixacts (measured at 32 concurrent: ~250 revokes/s and 5
	// multixacts each, against ~900/s and none). With no acting session ($3 NULL) the
	// actor finds nothing, and the users row is still locked first.
	err := s.getPrepared(ctx, &row, revokeSessionSQL,
		id, userID, byID, now, reason, eventType, actor.IP, actor.Details, freshSince)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, s.revokeRefusal(ctx, by, freshSince)
	}
	if err != nil {
		return Session{}, fmt.Errorf("revoke session %s: %w", id, err)
	}
	e := SessionEvent(eventType, row.Session, by, row.RevokedAt.Time)
	e.ID = row.EventID
	s.audit.log(ctx, []AuditEvent{e})
	return row.Session, nil
}

// revokeRefusal says why a revoke wrote nothing: the acting session had ended, or the
// target was not the user's live session. Read after the statement, it can only find the
// actor ended later than the statement did, and then the request's answer is the same.
// Freshness only fades with time, so one found stale after was stale during.
func (s *Store) revokeRefusal(ctx context.Context, by *Session, freshSince time.Time) error {
	if by == nil {
		return ErrNotFound
	}
	live, fresh, err := s.SessionLive(ctx, by.ID, freshSince)
	switch {
	case err != nil:
		return err
	case !live:
		return ErrSessionEnded
	case !fresh:
		return ErrSessionNotFresh
	}
	return ErrNotFound
}

// revokeSessionSQL is RevokeSessionAudited's statement: $1 the session, $2 its user, $3
// the acting session (or NULL), $4 the time, $5 the reason, $6 the event type, $7 the
// actor's address, $8 the actor's details, $9 the time the actor's password must have
// been proven after (freshSince).
var revokeSessionSQL = `
		WITH ` + actingSessionCTEs("$2", "$3") + `, revoked AS (
			UPDATE sessions
			SET revoked_at = $4, revoked_by_session_id = $3::uuid, revoke_reason = $5
			WHERE (EXISTS (SELECT FROM actor WHERE proven_at > $9) OR $3::uuid IS NULL)
				AND id = $1 AND user_id = $2 AND revoked_at IS NULL
			RETURNING ` + sessionColumns + `
		), event AS (
			INSERT INTO audit_events (user_id, type, session_id, actor_session_id, ip, device_label, created_at, details)
			SELECT user_id, $6::text, id, revoked_by_session_id,
				CASE WHEN revoked_by_session_id IS NULL THEN ip ELSE $7::text END, label, revoked_at,
				$8::jsonb || jsonb_build_object('browser', browser, 'os', os)
			FROM revoked
			RETURNING id AS event_id
		)
		SELECT ` + sessionColumns + `, event_id FROM revoked CROSS JOIN event`
