package db

import (
	"context"
	"fmt"
	"time"
)

// HeapPages is a range of a table's heap pages, [From, To).
type HeapPages struct{ From, To int64 }

// AllHeapPages is every page a table can have (a block number is 32 bits, and the range
// ends before its last one).
var AllHeapPages = HeapPages{0, 1<<32 - 1}

// SessionHeapPages is how many heap pages the sessions table has now.
func (s *Store) SessionHeapPages(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT pg_relation_size('sessions') / current_setting('block_size')::bigint`)
	if err != nil {
		return 0, fmt.Errorf("sessions heap pages: %w", err)
	}
	return n, nil
}

// deleteEndedSessionsSQL reads only the rows stored in its pages (a TID range scan): a
// janitor walks the table range by range, so a sweep reads it once whatever its size. (A
// LIMIT over the whole table made every batch read again what the batches before it had
// emptied: a sweep of millions of ended sessions took hours, each batch longer.) The ids
// come as an array so that the DELETE finds them by primary key; as an IN list, the planner
// could hash them and read the whole table again.
const deleteEndedSessionsSQL = `
	DELETE FROM sessions WHERE id = ANY (ARRAY(
		SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.ctid >= ('(' || $4::bigint || ',0)')::tid AND s.ctid < ('(' || $5::bigint || ',0)')::tid
			AND LEAST(s.revoked_at, s.expires_at, s.last_seen_at + make_interval(secs => $2)) < $1
		LIMIT $3
		FOR UPDATE OF s SKIP LOCKED
		FOR NO KEY UPDATE OF u SKIP LOCKED
	))`

// DeleteEndedSessions deletes up to batch sessions stored in pages that ended (revoked,
// past their lifetime, or idle past idle) before cutoff, and returns how many it deleted.
// Rows another instance is deleting are skipped (SKIP LOCKED), so janitors never wait on
// each other. The sessions' users rows are locked with them, and skipped when busy: the
// delete's security_rev trigger updates them, and waiting for one while holding sessions
// rows would take the locks against the order every writer follows (acting.go), so a
// janitor never waits on anything a user's writer holds.
func (s *Store) DeleteEndedSessions(ctx context.Context, cutoff time.Time, idle time.Duration, pages HeapPages, batch int) (int, error) {
	return s.deleteBatch(ctx, "delete ended sessions", deleteEndedSessionsSQL, cutoff, idle.Seconds(), batch, pages.From, pages.To)
}

// DeleteAuditEvents deletes up to batch audit events created before cutoff.
func (s *Store) DeleteAuditEvents(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	return s.deleteBatch(ctx, "delete audit events", `
		DELETE FROM audit_events WHERE id IN (
			SELECT id FROM audit_events WHERE created_at < $1
			ORDER BY created_at LIMIT $2
			FOR UPDATE SKIP LOCKED
		)`, cutoff, batch)
}

// DeleteSentMail deletes up to batch delivered messages sent before cutoff.
func (s *Store) DeleteSentMail(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	return s.deleteBatch(ctx, "delete sent mail", `
		DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox WHERE sent_at < $1
			LIMIT $2
			FOR UPDATE SKIP LOCKED
		)`, cutoff, batch)
}

// DeleteExpiredVerifications deletes up to batch email verification links that expired
// before cutoff: used or not, an expired link answers the same as an unknown one.
func (s *Store) DeleteExpiredVerifications(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	return s.deleteBatch(ctx, "delete expired verifications", `
		DELETE FROM email_verifications WHERE token_hash IN (
			SELECT token_hash FROM email_verifications WHERE expires_at < $1
			LIMIT $2
			FOR UPDATE SKIP LOCKED
		)`, cutoff, batch)
}

// deleteBatch runs one of the DELETEs above and says how many rows it deleted.
func (s *Store) deleteBatch(ctx context.Context, what, query string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}
