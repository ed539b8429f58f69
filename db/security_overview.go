package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// SecurityOverview is everything the security page reads: the live sessions and the
// sections beside them.
type SecurityOverview struct {
	Live []Session // as ActiveSessions lists them, newest first
	SecurityActivity
}

// securityOverviewSQL is securityActivitySQL and activeSessionsSQL in one statement: one
// round trip for the security page instead of two (BENCHMARKS.md, issue 28). The live
// sessions (livePos) follow the activity's rows in activeSessionsSQL's order. Numbering
// the rows and sorting them all cost a quarter of the statement; reading the user's
// sessions once for both lists (a CTE both take their rows from) cost PostgreSQL more than
// the live list's own index scan. $1-$11 are securityActivitySQL's; $12 and $13 are
// activeSessionsSQL's idleSince and bornSince ($3 is its now).
const securityOverviewSQL = securityActivitySQL + `
	UNION ALL
	(SELECT ` + livePos + `, ` + activeSessionsColumns + `, NULL, NULL, ` + noEnded + `, ` + noEvent + `
	FROM sessions
	WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3 AND last_seen_at > $12
		AND created_at > $13
	ORDER BY created_at DESC, id)`

// SecurityOverview reads what SecurityActivity and ActiveSessions read, in one statement:
// the live sessions idle since q.Now - q.Idle or born before q.Now - q.Lifetime are left
// out, as ActiveSessions leaves them out for those times.
func (s *Store) SecurityOverview(ctx context.Context, q ActivityQuery) (SecurityOverview, error) {
	return s.activityRows(ctx, "security overview", securityOverviewSQL, q,
		append(q.args(), q.Now.Add(-q.Idle), q.Now.Add(-q.Lifetime))...)
}

// activityRows runs securityActivitySQL or securityOverviewSQL and scans its rows.
func (s *Store) activityRows(ctx context.Context, what, query string, q ActivityQuery, args ...any) (SecurityOverview, error) {
	var o SecurityOverview
	release, err := s.takeListRead(ctx)
	if err != nil {
		return o, fmt.Errorf("%s of %s: %w", what, q.UserID, err)
	}
	defer release()
	rows, err := s.queryPrepared(ctx, query, args...)
	if err != nil {
		return o, fmt.Errorf("%s of %s: %w", what, q.UserID, err)
	}
	defer rows.Close()
	if err := o.scan(rows, q.UserID); err != nil {
		return o, fmt.Errorf("%s of %s: %w", what, q.UserID, err)
	}
	return o, nil
}

// endedColumns are the columns after notices and events: NULL but on ended rows.
type endedColumns struct {
	endedAt, revokedAt          sql.NullTime
	revokedBy, reason, by, byOS sql.NullString
	total                       sql.NullInt64
}

// scan reads the activity row, then the events it counts, then the ended and the live
// sessions. Each kind of row is scanned through its own pointers (overviewRow), the
// columns it leaves NULL into skip.
func (o *SecurityOverview) scan(rows *sql.Rows, userID string) error {
	var (
		pos     sql.RawBytes // scanned as text: compared with no allocation
		skip    any
		notices []byte
		events  int
		ended   endedColumns
		e       AuditEvent
		r       = new(Session)
	)
	extra := []any{&ended.endedAt, &ended.revokedAt, &ended.revokedBy, &ended.reason, &ended.by, &ended.byOS, &ended.total}
	row := overviewRow{pos: &pos, skip: &skip}
	activity := row.dest(nil, &notices, &events, nil, nil)
	event := row.dest(nil, nil, nil, nil, eventDest(&e))
	session := row.dest(sessionDest(r), nil, nil, extra, nil)

	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errors.New("no activity row")
	}
	if err := rows.Scan(activity...); err != nil {
		return err
	}
	if string(pos) != activityPos {
		return errors.New("the first row is not the activity")
	}
	if err := json.Unmarshal(notices, &o.Notices); err != nil {
		return err
	}
	o.Events = make([]AuditEvent, 0, events)
	for range events {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("%d event rows of the %d counted", len(o.Events), events)
		}
		e = AuditEvent{}
		if err := rows.Scan(event...); err != nil {
			return err
		}
		if string(pos) != eventPos {
			return fmt.Errorf("a row at position %q among the events", pos)
		}
		o.Events = append(o.Events, e)
	}
	live, err := collectSessions(rows, userID, r, session, func() (bool, error) {
		switch string(pos) {
		case livePos:
			return true, nil
		case endedPos:
			r.RevokedAt, r.RevokedBySessionID, r.RevokeReason = ended.revokedAt, ended.revokedBy, ended.reason.String
			o.Ended = append(o.Ended, EndedSession{Session: *r, EndedAt: ended.endedAt.Time.UTC(),
				ByBrowser: ended.by, ByOS: ended.byOS})
			o.EndedTotal = int(ended.total.Int64)
			return false, nil
		}
		return false, fmt.Errorf("a row at position %q", pos)
	})
	o.Live = live
	return err
}

// overviewRow builds the Scan pointers of one kind of overview row.
type overviewRow struct {
	pos  *sql.RawBytes
	skip *any
}

// dest is pos, then session (activeSessionsColumns), notices, events, ended (endedColumns)
// and event (eventColumns); a nil part is that many columns left NULL, read into skip.
func (w overviewRow) dest(session []any, notices, events any, ended, event []any) []any {
	d := make([]any, 0, 48)
	d = append(d, w.pos)
	d = append(d, w.or(session, sessionColumnCount)...)
	d = append(d, w.or([]any{notices, events}, 2)...)
	d = append(d, w.or(ended, endedColumnCount)...)
	return append(d, w.or(event, eventColumnCount)...)
}

// or is part with skip for each nil in it, or n skips when part is nil.
func (w overviewRow) or(part []any, n int) []any {
	s := make([]any, n)
	for i := range s {
		s[i] = w.skip
		if part != nil && part[i] != nil {
			s[i] = part[i]
		}
	}
	return s
}

// The number of columns of each part of an overview row.
const (
	sessionColumnCount = 21 // activeSessionsColumns, sessionDest
	endedColumnCount   = 7  // endedColumns
	eventColumnCount   = 9  // eventColumns, eventDest
)

// eventDest points at e's fields in eventColumns' order.
func eventDest(e *AuditEvent) []any {
	return []any{&e.ID, &e.UserID, &e.Type, &e.SessionID, &e.ActorSessionID, &e.IP, &e.DeviceLabel,
		sentTime{&e.CreatedAt}, &e.Details}
}
