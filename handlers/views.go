package handlers

import (
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
)

// sessionRow is one row of the sessions table; the page and the htmx fragment use it alike.
type sessionRow struct {
	L          *locale.Localizer
	CSRF       string
	ID         string
	Label      string
	IP         string
	UserAgent  string
	Current    bool
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Now        time.Time
}

// sessionsTable is the table with its count and the "revoke all others" control.
type sessionsTable struct {
	L      *locale.Localizer
	CSRF   string
	Rows   []sessionRow
	Others int
}

// securityPage is /app/settings/security.
type securityPage struct {
	layoutData
	Table    sessionsTable
	Password passwordForm
	Activity securityActivity // notices, recent security activity, ended sessions (activity.go)
	Notice   string
}

// sessionsUpdate is the htmx answer to a revoke: the fresh sessions section, and a
// message for the live region.
type sessionsUpdate struct {
	Table    sessionsTable
	Activity securityActivity
	Announce string
}

// confirmPage asks, without JavaScript, whether to revoke one session or all others.
type confirmPage struct {
	layoutData
	Row    *sessionRow // nil when confirming "revoke all others"
	Others int
}

// authPage is the sign-in or sign-up form.
type authPage struct {
	layoutData
	Name, Email string
	Error       string
	Notice      string
	Field       string // the field the error is about, for aria-invalid
}

// errorPage shows a failure in plain words.
type errorPage struct {
	layoutData
	Message string
	Status  int
}

// label is a session's device label in the reader's language.
func label(l *locale.Localizer, s db.Session) string {
	return l.Device(s.Browser, s.OS)
}

// newSessionsTable turns sessions into table rows for this reader.
func (h *Handler) newSessionsTable(l *locale.Localizer, csrf string, cur *auth.Current, rows []db.Session) sessionsTable {
	cfg := h.auth.Config()
	now := h.auth.Now()
	t := sessionsTable{L: l, CSRF: csrf, Rows: make([]sessionRow, 0, len(rows))}
	for _, s := range rows {
		t.Rows = append(t.Rows, sessionRow{
			L: l, CSRF: csrf, ID: s.ID, Label: label(l, s), IP: s.IP, UserAgent: s.UserAgent,
			Current: s.ID == cur.Session.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
			ExpiresAt: cfg.ExpiresAt(s), Now: now,
		})
		if s.ID != cur.Session.ID {
			t.Others++
		}
	}
	return t
}
