package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docodego/sessions/db"
)

// Limits of the security activity lists.
const (
	DefaultEventPage = 20
	MaxEventPage     = 100
	EndedWindow      = 30 * 24 * time.Hour // "recently ended sessions" look this far back
	maxEnded         = 50                  // "Show all ended sessions" shows this many at most
	EndedShown       = 10                  // the page shows the latest this many ended sessions at first
	maxNotices       = 5
)

// ErrBadCursor means a pagination cursor was not one we gave out.
var ErrBadCursor = errors.New("bad cursor")

// ErrNoticeNotFound means the notice is unknown or another user's.
var ErrNoticeNotFound = errors.New("notice not found")

// EventPage is one page of a user's security events, newest first.
type EventPage struct {
	Events []db.AuditEvent
	Next   string // cursor for the next (older) page; "" when this is the last
}

// SecurityEvents lists the user's audit events older than the cursor ("" for the newest).
func (s *Service) SecurityEvents(ctx context.Context, cur Current, before string, limit int) (EventPage, error) {
	var from *db.EventCursor
	if before != "" {
		c, err := ParseCursor(before)
		if err != nil {
			return EventPage{}, err
		}
		from = &c
	}
	limit = min(max(limit, 1), MaxEventPage)
	rows, err := s.store.AuditEvents(ctx, cur.UserID, from, limit+1)
	if err != nil {
		return EventPage{}, fmt.Errorf("security events: %w", err)
	}
	return eventPage(rows, limit), nil
}

// eventPage is up to limit of rows, read with one more to tell whether a next page exists.
func eventPage(rows []db.AuditEvent, limit int) EventPage {
	page := EventPage{Events: rows}
	if len(rows) > limit {
		page.Events = rows[:limit]
		last := page.Events[limit-1]
		page.Next = EncodeCursor(db.EventCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	return page
}

// EncodeCursor turns a position into an opaque URL-safe string.
func EncodeCursor(c db.EventCursor) string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a cursor made by EncodeCursor; anything else is ErrBadCursor. Only
// the canonical spelling counts: base64 decoding skips CR and LF, and the no-JavaScript
// "Show more" writes the cursor into a Location header.
func ParseCursor(s string) (db.EventCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 64 {
		return db.EventCursor{}, ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), ".")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 || micros < 0 {
		return db.EventCursor{}, ErrBadCursor
	}
	c := db.EventCursor{CreatedAt: time.UnixMicro(micros), ID: n}
	if EncodeCursor(c) != s {
		return db.EventCursor{}, ErrBadCursor
	}
	return c, nil
}

// Activity is the security page's audit sections.
type Activity struct {
	Notices []db.Notice       // "new sign-in" notices the current session has not seen dismissed
	Events  EventPage         // the first page of events, or the one after the cursor asked for
	Ended   []db.EndedSession // sessions revoked or expired in the last 30 days, latest first
	// EndedTotal is how many of those there are, at most maxEnded (what "Show all" shows).
	EndedTotal int
}

// SecurityActivity reads the security page's notices, a page of events older than the
// cursor before ("" for the newest) and the recently ended sessions, in one query: the
// latest EndedShown of them, or up to maxEnded with allEnded.
func (s *Service) SecurityActivity(ctx context.Context, cur Current, before string, allEnded bool) (Activity, error) {
	q, err := s.activityQuery(cur, before, allEnded)
	if err != nil {
		return Activity{}, err
	}
	a, err := s.store.SecurityActivity(ctx, q)
	if err != nil {
		return Activity{}, fmt.Errorf("security activity: %w", err)
	}
	return activityOf(a), nil
}

// SecurityOverview is Sessions and SecurityActivity read together, in one statement that
// reads the user's sessions once: what the security page and its fresh sections show.
func (s *Service) SecurityOverview(ctx context.Context, cur Current, before string, allEnded bool) ([]db.Session, Activity, error) {
	q, err := s.activityQuery(cur, before, allEnded)
	if err != nil {
		return nil, Activity{}, err
	}
	o, err := s.store.SecurityOverview(ctx, q)
	if err != nil {
		return nil, Activity{}, fmt.Errorf("security overview: %w", err)
	}
	return currentFirst(o.Live, cur), activityOf(o.SecurityActivity), nil
}

// activityQuery asks for the latest EndedShown ended sessions, or up to maxEnded with
// allEnded, and the page of events after the cursor before ("" for the newest).
func (s *Service) activityQuery(cur Current, before string, allEnded bool) (db.ActivityQuery, error) {
	ended := EndedShown
	if allEnded {
		ended = maxEnded
	}
	q := db.ActivityQuery{UserID: cur.UserID, ViewerID: cur.Session.ID, Now: s.now(),
		Notices: maxNotices, Events: DefaultEventPage + 1, Ended: ended,
		Idle: s.conf().IdleTimeout, Lifetime: s.conf().AbsoluteLifetime}
	q.EndedSince = q.Now.Add(-EndedWindow)
	if before != "" {
		c, err := ParseCursor(before)
		if err != nil {
			return q, err
		}
		q.Before = &c
	}
	return q, nil
}

func activityOf(a db.SecurityActivity) Activity {
	return Activity{Notices: a.Notices, Events: eventPage(a.Events, DefaultEventPage), Ended: a.Ended,
		EndedTotal: min(a.EndedTotal, maxEnded)}
}

// DismissNotice hides a notice from the session that dismisses it, and only from it: an
// intruder's earlier session cannot hide a later sign-in from the owner's devices. Only a
// session the notice is shown to may dismiss it: one of the user's sessions older than
// the sign-in it is about, never that new session itself. So ids stay short numbers:
// guessing one gains an intruder nothing.
func (s *Service) DismissNotice(ctx context.Context, cur Current, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return ErrNoticeNotFound
	}
	err = s.inActingTx(ctx, cur, func(tx *db.Tx) error {
		return tx.DismissNotice(ctx, cur.UserID, cur.Session.ID, n, s.now())
	})
	if errors.Is(err, db.ErrNotFound) {
		return ErrNoticeNotFound
	}
	if err != nil {
		return fmt.Errorf("dismiss notice: %w", err)
	}
	return nil
}
