package db

import (
	"context"
	"encoding/json"
	"fmt"
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

// securityActivitySQL reads the three lists in one round trip, each as a JSON array whose
// objects have the Go field names of Notice, AuditEvent and EndedSession, so they decode
// into them as they are. A nullable column is {"String"|"Time": v, "Valid": true}, the
// shape of sql.NullString/NullTime; NULL leaves the field invalid. A field added to Notice
// or AuditEvent must be added here (TestSecurityActivityNamesEveryField). Of an ended
// session only EndedSummaryFields are sent: what its line says (device, name, how and when
// it ended); building and decoding the other twenty-odd columns was a tenth of the page's
// CPU, for nothing it shows.
//   - notices: not dismissed by the viewing session (nor for everyone, before 00013), about
//     another session that is still live, and newer than the viewing session itself;
//   - events: keyset page, the index (user_id, created_at DESC, id DESC) serves every page;
//   - ended: endedSessionsSQL as it is ($1-$6), and its total beside the rows.
const securityActivitySQL = `
	SELECT
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
	ended.rows AS ended, ended.total AS ended_total
	FROM (SELECT COALESCE(json_agg(json_build_object('ID', e.id, 'UserID', e.user_id,
			'Browser', e.browser, 'OS', e.os, 'DeviceType', e.device_type, 'Label', e.label, 'Name', e.name,
			'RevokedAt', json_build_object('Time', e.revoked_at, 'Valid', e.revoked_at IS NOT NULL),
			'RevokedBySessionID', json_build_object('String', e.revoked_by_session_id, 'Valid', e.revoked_by_session_id IS NOT NULL),
			'RevokeReason', e.revoke_reason, 'EndedAt', e.ended_at,
			'ByBrowser', json_build_object('String', e.by_browser, 'Valid', e.by_browser IS NOT NULL),
			'ByOS', json_build_object('String', e.by_os, 'Valid', e.by_os IS NOT NULL))
			ORDER BY e.ended_at DESC, e.id), '[]') AS rows, COALESCE(max(e.total), 0) AS total
		FROM (` + endedSessionsSQL + `
		) e) ended`

// EndedSummaryFields are the fields of EndedSession that SecurityActivity fills.
var EndedSummaryFields = []string{"ID", "UserID", "Browser", "OS", "DeviceType", "Label", "Name",
	"RevokedAt", "RevokedBySessionID", "RevokeReason", "EndedAt", "ByBrowser", "ByOS"}

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
	var raw struct {
		Notices []byte `db:"notices"`
		Events  []byte `db:"events"`
		Ended   []byte `db:"ended"`
		Total   int    `db:"ended_total"`
	}
	var a SecurityActivity
	err := s.getPrepared(ctx, &raw, securityActivitySQL, q.args()...)
	if err != nil {
		return a, fmt.Errorf("security activity of %s: %w", q.UserID, err)
	}
	if err := a.decode(raw.Notices, raw.Events, raw.Ended); err != nil {
		return a, fmt.Errorf("security activity of %s: %w", q.UserID, err)
	}
	a.EndedTotal = raw.Total
	return a, nil
}

// decode fills the three lists from their JSON arrays.
func (a *SecurityActivity) decode(notices, events, ended []byte) error {
	for _, part := range []struct {
		src []byte
		dst any
	}{{notices, &a.Notices}, {events, &a.Events}, {ended, &a.Ended}} {
		if err := json.Unmarshal(part.src, part.dst); err != nil {
			return err
		}
	}
	return nil
}
