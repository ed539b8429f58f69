package handlers

import (
	"io"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/template/html/v2"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views"
	"github.com/docodego/sessions/views/rows"
)

// benchTable is a sessions table of 50 rows, as the sessions page shows it.
func benchTable(b testing.TB) sessionsTable {
	b.Helper()
	catalog, err := locale.New()
	if err != nil {
		b.Fatal(err)
	}
	return benchRows(catalog.Pick("", "en"), time.Now())
}

// benchSessions are 50 sessions of one user, seen at now.
func benchSessions(now time.Time) []db.Session {
	sessions := make([]db.Session, 0, 50)
	for i := range 50 {
		sessions = append(sessions, db.Session{
			ID: "00000000-0000-4000-8000-0000000000" + strconv.Itoa(10+i), Browser: "Firefox", OS: "Windows",
			IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			CreatedAt: now.Add(-time.Duration(i) * time.Hour), LastSeenAt: now.Add(-time.Duration(i) * time.Minute),
		})
	}
	return sessions
}

// benchRows builds the table of benchSessions, each row with its revoke question's facts.
func benchRows(l *locale.Localizer, now time.Time) sessionsTable {
	sessions := benchSessions(now)
	table := buildSessionsTable(l, "csrf-token", sessions[0].ID, sessions, now, true, 10*time.Minute)
	for i := range table.Rows {
		s := sessions[slices.IndexFunc(sessions, func(s db.Session) bool { return s.ID == table.Rows[i].ID })]
		addRevokeFacts(l, &table.Rows[i], s, now.Add(24*time.Hour), now, true)
	}
	return table
}

func benchEngine(b testing.TB) *html.Engine {
	b.Helper()
	v, err := views.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkRenderSessionRow renders one row (rows.Sessions), the table's unit.
func BenchmarkRenderSessionRow(b *testing.B) {
	one := benchTable(b).Rows[1:2]
	b.ReportAllocs()
	for b.Loop() {
		rows.Sessions(one)
	}
}

// BenchmarkRenderSessionsTableParallel renders the 50-row table from every core at once,
// in the page's engine: no lock serialises renders.
func BenchmarkRenderSessionsTableParallel(b *testing.B) {
	v, table := benchEngine(b), benchTable(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.Render(io.Discard, "partials/sessions", table); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBuildSessionsTable works out the words of a 50-row table (the localizer's share
// of a page view).
func BenchmarkBuildSessionsTable(b *testing.B) {
	catalog, err := locale.New()
	if err != nil {
		b.Fatal(err)
	}
	l, now := catalog.Pick("", "en"), time.Now()
	sessions := benchSessions(now)
	b.ReportAllocs()
	for b.Loop() {
		buildSessionsTable(l, "csrf-token", sessions[0].ID, sessions, now, true, 10*time.Minute)
	}
}

// BenchmarkRenderSecurityPage renders the whole security page of a 50-session user (ten
// ended sessions, ten activity events) in the page's engine: the template's share of a
// page view, apart from building its rows.
func BenchmarkRenderSecurityPage(b *testing.B) {
	v, table := benchEngine(b), benchTable(b)
	l := table.L
	activity := securityActivity{L: l, CSRF: "csrf", EndedTotal: 12,
		Events: activityPage{L: l, Next: "c"}}
	for i := range 10 {
		activity.Events.Rows = append(activity.Events.Rows, rows.Activity{ID: int64(i), Text: "Signed in", When: "1 hour ago"})
		activity.Ended = append(activity.Ended, rows.Ended{ID: strconv.Itoa(i), Label: "Firefox on Windows", How: "Revoked", Ago: "2 days ago"})
	}
	page := &securityPage{Table: table, Activity: activity,
		Layout:   Layout{L: l, AppName: "Sessions", Title: "Security", CSRF: "csrf", SignedIn: true, UserName: "Ada", Next: "/app/settings/security"},
		Password: passwordForm{L: l, CSRF: "csrf", Min: 12}}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Render(io.Discard, "pages/security", page); err != nil {
			b.Fatal(err)
		}
	}
}
