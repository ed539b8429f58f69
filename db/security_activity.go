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
// activity row first (its session columns NULL), then the ended sessions, then (in the
// overview) the live ones. Every row has the same columns: pos, activeSessionsColumns,
// notices, events, and endedColumns. PostgreSQL's Append returns a UNION ALL's branches
// one after the other, each in its own order (a parallel plan could interleave them: a
// statement this small never gets one); pos says which list a row belongs to, and scan
// checks the activity row comes first.
const (
	activityPos = "0"
	livePos     = "1"
	endedPos    = "2"
)

// securityActivitySQL reads the three lists in one round trip. Notices and events are JSON
// arrays on the activity row, whose objects have the Go field names of Notice and
// AuditEvent, so they decode into them as they are. A nullable column is
// {"String": v, "Valid": true}, the shape of sql.NullString; NULL leaves the field
// invalid. A field added to Notice or AuditEvent must be added here
// (TestSecurityActivityNamesEveryField). The ended sessions are plain rows, scanned as the
// live ones are: built as JSON and decoded, they cost PostgreSQL a third more and the app
// a tenth of the page's CPU (BENCHMARKS.md, issue 28).
//   - notices: not dismissed by the viewing session (nor for everyone, before 00013), about
//     another session that is still live, and newer than the viewing session itself;
//   - events: keyset page, the index (user_id, created_at DESC, id DESC) serves every page;
//   - ended: endedSessionsSQL as it is ($1-$6), each row with the window's total.
const securityActivitySQL = `
	SELECT ` + activityPos + ` AS pos, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
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
	(SELECT COALESCE(json_agg(json_build_object('ID', e.id, 'UserID', e.user_id, 'Type', e.type,
			'SessionID', json_build_object('String', e.session_id, 'Valid', e.session_id IS NOT NULL),
			'ActorSessionID', json_build_object('String', e.actor_session_id, 'Valid', e.actor_session_id IS NOT NULL),
			'IP', e.ip, 'DeviceLabel', e.device_label, 'CreatedAt', e.created_at, 'Details', e.details)
			ORDER BY e.created_at DESC, e.id DESC), '[]')
		FROM (
			SELECT ` + auditColumns + ` FROM audit_events
			WHERE user_id = $1 AND (created_at, id) < ($9, $10)
			ORDER BY created_at DESC, id DESC LIMIT $11
		) e) AS events,
		NULL::timestamptz, NULL::timestamptz, NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::bigint
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
