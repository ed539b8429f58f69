package main

import (
	"context"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
)

// auditLogSQL writes the audit log the seeded sessions would have left behind, as the app
// writes it (db.SessionEvent): a sign-in for every session, by itself; a revocation for
// every revoked one, by the owner's oldest live session, from its address; an expiry for
// every other one past its end. The rows go in in time order, as a log fills, so a
// person's latest events lie on pages of their own. Without it every seeded security page
// said "No security activity yet", and the page row measured the page without the
// activity's part of its statement and without its rows.
const auditLogSQL = `
	WITH actor AS (
		SELECT DISTINCT ON (user_id) user_id, id, ip, browser, os
		FROM sessions WHERE revoked_at IS NULL ORDER BY user_id, created_at
	)
	INSERT INTO audit_events (user_id, type, session_id, actor_session_id, ip, device_label, created_at, details)
	SELECT s.user_id, e.type, s.id, e.actor_id, COALESCE(e.ip, ''), s.label, e.at,
		jsonb_build_object('browser', s.browser, 'os', s.os) || e.extra
	FROM sessions s
	LEFT JOIN actor a ON a.user_id = s.user_id
	CROSS JOIN LATERAL (VALUES
		('` + db.EventSignIn + `', s.created_at, s.id, s.ip, jsonb_build_object('actor_browser', s.browser, 'actor_os', s.os)),
		('` + db.EventSessionRevoked + `', s.revoked_at, a.id, a.ip, jsonb_build_object('actor_browser', a.browser, 'actor_os', a.os)),
		('` + db.EventSessionExpired + `', CASE WHEN s.revoked_at IS NULL AND s.expires_at <= now() THEN s.expires_at END,
			NULL, s.ip, '{}'::jsonb)
	) e(type, at, actor_id, ip, extra)
	WHERE e.at IS NOT NULL
	ORDER BY e.at`

// seedAuditLog writes auditLogSQL's events with the table's secondary indexes dropped and
// built again after, and its triggers (live updates, the security revision) off: a seed
// notifies no one, and every revision starts at 1 either way.
func seedAuditLog(ctx context.Context, store *db.Store) error {
	return bulkWrite(ctx, store, "audit_events", func() error { return execAll(ctx, store, auditLogSQL) })
}

// bulkWrite runs fill with table's user triggers off and its secondary indexes (those
// behind no constraint) dropped, then builds the indexes again from their definitions as
// pg_indexes had them and turns the triggers back on: bulk writes go faster that way.
func bulkWrite(ctx context.Context, store *db.Store, table string, fill func() error) error {
	var indexes []struct {
		Name string `db:"indexname"`
		Def  string `db:"indexdef"`
	}
	if err := store.DB().SelectContext(ctx, &indexes, `
		SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
			AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)`, table); err != nil {
		return err
	}
	quoted := pq.QuoteIdentifier(table)
	pre := []string{`ALTER TABLE ` + quoted + ` DISABLE TRIGGER USER`}
	post := []string{`ALTER TABLE ` + quoted + ` ENABLE TRIGGER USER`}
	for _, ix := range indexes {
		pre = append(pre, `DROP INDEX `+pq.QuoteIdentifier(ix.Name))
		post = append(post, ix.Def)
	}
	if err := execAll(ctx, store, pre...); err != nil {
		return err
	}
	if err := fill(); err != nil {
		return err
	}
	return execAll(ctx, store, post...)
}
