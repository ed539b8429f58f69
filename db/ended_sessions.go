package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MarkSessionExpired records, once, that a session was found expired: the first caller
// gets true and writes the event in the same transaction; later callers get false.
// The users row is locked first, as every writer of sessions does (acting.go).
func (t *Tx) MarkSessionExpired(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		WITH user_locked AS (SELECT id FROM users WHERE id = $3 FOR NO KEY UPDATE)
		UPDATE sessions SET expired_logged_at = $2
		WHERE EXISTS (SELECT FROM user_locked) AND id = $1 AND user_id = $3
			AND expired_logged_at IS NULL AND revoked_at IS NULL`, id, now, userID)
	if err != nil {
		return false, fmt.Errorf("mark session %s expired: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark session %s expired: %w", id, err)
	}
	return n == 1, nil
}

// EndedSession is a revoked or expired session, with the device that ended it.
type EndedSession struct {
	Session
	EndedAt   time.Time      `db:"ended_at"`
	ByBrowser sql.NullString `db:"by_browser"`
	ByOS      sql.NullString `db:"by_os"`
}

// endedSessionsSQL lists a user's sessions that were revoked or expired between $2 and
// $3, most recently ended first, at most $5: $4 is the idle timeout that ends unused
// sessions, $6 the maximum lifetime in force (it ends sessions before their stored end
// when it was lowered since they began). Its rows have the columns of securityActivitySQL's
// rows, at endedPos. total is how many ended in the window, $5 or not: every session of the
// user is looked at to be sorted anyway, so counting them costs one WindowAgg, no second
// scan. The revoked ones are read from sessions_user_revoked_ends_idx alone (an index-only
// scan, migration 00022), the others from the live index, whose heap tuples hold their
// last_seen_at; only the id and what decides the order go through the sort (with every
// column of every row it cost a third of the statement). The rows shown are read again by
// id, with the device that ended each. Part of SecurityActivity.
const endedSessionsSQL = `
	SELECT ` + endedPos + `, s.*, NULL, NULL, e.ended_at, e.revoked_at, e.revoked_by_session_id,
		e.revoke_reason, b.browser, b.os, e.total, ` + noEvent + `
	FROM (
		SELECT *, count(*) OVER () AS total FROM (
			SELECT id, revoked_at, revoked_by_session_id, revoke_reason,
				LEAST(revoked_at, expires_at, revoked_last_seen_at + make_interval(secs => $4),
					created_at + make_interval(secs => $6)) AS ended_at
			FROM sessions
			WHERE user_id = $1 AND revoked_at IS NOT NULL
			UNION ALL
			SELECT id, NULL, NULL, NULL,
				LEAST(expires_at, last_seen_at + make_interval(secs => $4), created_at + make_interval(secs => $6))
			FROM sessions
			WHERE user_id = $1 AND revoked_at IS NULL
		) x
		WHERE ended_at >= $2 AND ended_at <= $3
		ORDER BY ended_at DESC, id LIMIT $5
	) e
	CROSS JOIN LATERAL (SELECT ` + activeSessionsColumns + ` FROM sessions WHERE id = e.id) s
	LEFT JOIN sessions b ON b.id = e.revoked_by_session_id
	ORDER BY e.ended_at DESC, e.id`
