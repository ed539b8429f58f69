package handlers

import (
	"io"
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

// benchRows builds the table of 50 sessions of one user, seen at now.
func benchRows(l *locale.Localizer, now time.Time) sessionsTable {
	rows := make([]db.Session, 0, 50)
	for i := range 50 {
		rows = append(rows, db.Session{
			ID: "00000000-0000-4000-8000-0000000000" + strconv.Itoa(10+i), Browser: "Firefox", OS: "Windows",
			IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			CreatedAt: now.Add(-time.Duration(i) * time.Hour), LastSeenAt: now.Add(-time.Duration(i) * time.Minute),
		})
	}
	expires := func(db.Session) time.Time { return now.Add(24 * time.Hour) }
	return buildSessionsTable(l, "csrf-token", rows[0].ID, rows, expires, now, true, 10*time.Minute)
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
	b.ReportAllocs()
	for b.Loop() {
		benchRows(l, now)
	}
}
