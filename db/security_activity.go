package db

import (
	"context"
	"math"
	"time"
)

// SecurityActivity is what the security page shows beside the sessions table.
type SecurityActivity struct {
	Notices []Notice       // open "new sign-in" notices, newest first
	Events  []AuditEvent   // a page of audit events, newest first
	Ended   []EndedSession // sessions revoked or expired in the window, latest first
	// EndedTotal is how many ended in the window, beyond Ended's limit too.
	EndedTotal int
}

// ActivityQuery says whose activity to read, and how much of each kind.
type ActivityQuery struct {
	UserID, ViewerID string // the viewer is not told about itself, nor about older notices
	Now              time.Time
	Before           *EventCursor // events older than this; nil for the newest
	Notices, Events  int          // at most this many of each
	Ended            int
	EndedSince       time.Time
	Idle, Lifetime   time.Duration // end unused and too old sessions, as configured now
}

// The rows of securityActivitySQL and securityOverviewSQL, in their branches' order: the
// activity row first (its session columns NULL), then the events, then the ended sessions,
// then (in the overview) the live ones. Every row has the same columns: pos,
// activeSessionsColumns, notices, events, endedColumns and eventColumns. PostgreSQL's
// Append returns a UNION ALL's branches one after the other, each in its own order (a
// parallel plan could interleave them: a statement this small never gets one); pos says
// which list a row belongs to, and scan checks the activity row comes first and the
// events follow it.
const (
	activityPos = "0"
	livePos     = "1"
	endedPos    = "2"
	eventPos    = "3"
)

// eventColumns are an event row's last columns, in the order eventDest scans them;
// noEvent is the same columns on every other row, noSession activeSessionsColumns on the
// rows that are no session, and noEnded endedColumns on the rows that are no ended session.
// They are typed: a UNION of two untyped NULLs is text.
const (
	noEnded   = `NULL::timestamptz, NULL::timestamptz, NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::bigint`
	noSession = `NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
		NULL::bytea, NULL::bytea, NULL::bytea, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
		NULL::text, NULL::text, NULL::boolean, NULL::boolean, NULL::text, NULL::smallint`
	eventColumns = `id, user_id, type, session_id, actor_session_id, ip, device_label, timestamptz_send(created_at), details`
	noEvent      = `NULL::bigint, NULL::uuid, NULL::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::bytea, NULL::jsonb`
)

// securityActivitySQL reads the three lists in one round trip. Notices are a JSON array on
// the activity row, whose objects have the Go field names of Notice, so they decode into
// it as they are (there are at most five, and most pages have none). A field added to
// Notice must be added here (TestSecurityActivityNamesEveryField). The events and the
// ended sessions are plain rows: built as JSON and decoded, the 20 events of a page cost
// the app a seventh of its CPU for the page, and the ended sessions cost PostgreSQL a
// third more and the app a tenth (BENCHMARKS.md, issue 28). The activity row says how many
// event rows follow it (events), so that scan reads them with their own columns.
//   - notices: not dismissed by the viewing session (nor for everyone, before 00013), about
//     another session that is still live, and newer than the viewing session itself;
//   - events: keyset page, the index (user_id, created_at DESC, id DESC) serves every page;
//     read once, for their count and their rows;
//   - ended: endedSessionsSQL as it is ($1-$6), each row with the window's total.
const securityActivitySQL = `
	WITH events AS MATERIALIZED (
		SELECT ` + auditColumns + ` FROM audit_events
		WHERE user_id = $1 AND (created_at, id) < ($9, $10)
		ORDER BY created_at DESC, id DESC LIMIT $11
	)
	SELECT ` + activityPos + ` AS pos, ` + noSession + `,
	(SELECT COALESCE(json_agg(json_build_object('ID', n.id, 'SessionID', n.session_id,
			'CreatedAt', n.created_at, 'Browser', n.browser, 'OS', n.os, 'IP', n.ip,
			'City', n.city, 'CountryCode', n.country_code, 'NewCountry', n.new_country, 'Evicted', n.evicted)
			ORDER BY n.created_at DESC, n.id DESC), '[]')
		FROM (
			SELECT n.id, n.session_id, n.created_at, s.browser, s.os, s.ip, s.city, s.country_code,
				n.new_country, n.evicted
			FROM notices n
			JOIN sessions s ON s.id = n.session_id
			JOIN sessions v ON v.id = $7
			WHERE n.user_id = $1 AND n.dismissed_at IS NULL AND n.session_id <> $7
				AND s.revoked_at IS NULL AND s.expires_at > $3 AND n.created_at > v.created_at
				AND NOT EXISTS (SELECT 1 FROM notice_dismissals d WHERE d.notice_id = n.id AND d.session_id = $7)
			ORDER BY n.created_at DESC, n.id DESC LIMIT $8
		) n) AS notices,
	(SELECT count(*) FROM events) AS events,
		` + noEnded + `, ` + noEvent + `
	UNION ALL
	(SELECT ` + eventPos + `, ` + noSession + `, NULL, NULL, ` + noEnded + `, ` + eventColumns + `
	FROM events ORDER BY created_at DESC, id DESC)
	UNION ALL
	(` + endedSessionsSQL + `)`

// noCursor is a position after every event: the first page starts there, so one query
// (and one prepared statement) serves every page.
var noCursor = EventCursor{CreatedAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), ID: math.MaxInt64}

// args are securityActivitySQL's $1-$11.
func (q ActivityQuery) args() []any {
	from := noCursor
	if q.Before != nil {
		from = *q.Before
	}
	return []any{q.UserID, q.EndedSince, q.Now, q.Idle.Seconds(), q.Ended, q.Lifetime.Seconds(),
		q.ViewerID, q.Notices, from.CreatedAt, from.ID, q.Events}
}

// SecurityActivity reads a user's notices, a page of audit events and recently ended
// sessions in one round trip (a prepared statement): the security page's sections besides
// the sessions table.
func (s *Store) SecurityActivity(ctx context.Context, q ActivityQuery) (SecurityActivity, error) {
	o, err := s.activityRows(ctx, "security activity", securityActivitySQL, q, q.args()...)
	return o.SecurityActivity, err
}
