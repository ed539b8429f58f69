package db

import (
	"context"
	"database/sql"
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
// round trip for the security page instead of two (BENCHMARKS.md, issue 28). The first
// row (pos 0) carries the activity, its session columns NULL; the live sessions (pos 1)
// follow in activeSessionsSQL's order, their activity columns NULL. PostgreSQL's Append
// returns a UNION ALL's branches one after the other, each in its own order (a parallel
// plan could interleave them: a statement this small never gets one, and scan checks the
// first row); numbering the rows and sorting them all cost a quarter of the statement.
// Reading the user's sessions once for both lists (a CTE both take their rows from) cost
// PostgreSQL more than the live list's own index scan. $1-$11 are securityActivitySQL's;
// $12 and $13 are activeSessionsSQL's idleSince and bornSince ($3 is its now).
const securityOverviewSQL = `
	SELECT 0 AS pos, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		a.notices, a.events, a.ended, a.ended_total
	FROM (` + securityActivitySQL + `
	) a
	UNION ALL
	(SELECT 1, ` + activeSessionsColumns + `, NULL, NULL, NULL, NULL
	FROM sessions
	WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3 AND last_seen_at > $12
		AND created_at > $13
	ORDER BY created_at DESC, id)`

// SecurityOverview reads what SecurityActivity and ActiveSessions read, in one statement:
// the live sessions idle since q.Now - q.Idle or born before q.Now - q.Lifetime are left
// out, as ActiveSessions leaves them out for those times.
func (s *Store) SecurityOverview(ctx context.Context, q ActivityQuery) (SecurityOverview, error) {
	var o SecurityOverview
	rows, err := s.queryPrepared(ctx, securityOverviewSQL, append(q.args(), q.Now.Add(-q.Idle), q.Now.Add(-q.Lifetime))...)
	if err != nil {
		return o, fmt.Errorf("security overview of %s: %w", q.UserID, err)
	}
	defer rows.Close()
	if err := o.scan(rows, q.UserID); err != nil {
		return o, fmt.Errorf("security overview of %s: %w", q.UserID, err)
	}
	return o, nil
}

// scan reads the activity row, then the live sessions.
func (o *SecurityOverview) scan(rows *sql.Rows, userID string) error {
	var (
		pos                    int64
		skip                   any
		notices, events, ended []byte
	)
	dest := make([]any, 0, 26)
	dest = append(dest, &pos)
	for range 21 {
		dest = append(dest, &skip)
	}
	dest = append(dest, &notices, &events, &ended, &o.EndedTotal)
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errors.New("no activity row")
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if pos != 0 {
		return errors.New("the first row is not the activity")
	}
	if err := o.decode(notices, events, ended); err != nil {
		return err
	}
	r := new(Session)
	dest = append(append(dest[:1], sessionDest(r)...), &skip, &skip, &skip, &skip)
	live, err := collectSessions(rows, userID, r, dest)
	o.Live = live
	return err
}
