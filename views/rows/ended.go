package rows

import (
	"html/template"
	"strings"
)

// Ended is a revoked or expired session. Its words are worked out by the handlers, not by
// method calls in the template (reflection, up to 50 rows a page).
type Ended struct {
	ID    string // the session's id: a live update names the session that ended
	Label string
	How   string
	Ended Time   // when, in full
	Ago   string // how long ago, in words
	Focus bool   // the first row "Show all" added takes focus
}

// EndedSessions is each recently ended session of partials/ended_sessions: up to 50 rows a
// page. Its markup of record is ended.html.
func EndedSessions(rows []Ended) template.HTML {
	return list(rows, 150, writeEnded)
}

// writeEnded writes one ended session, lean like the activity rows (styled by position in
// app.css): several of them are on every page, which must fit 40 KB.
func writeEnded(b *strings.Builder, r *Ended) {
	b.WriteString("\n<li")
	if r.Focus {
		b.WriteString(` tabindex="-1" data-autofocus`)
	}
	tag(b, "><span>", r.Label, `</span> <span>`)
	tag(b, ``, r.How, `</span> <time datetime="`)
	tag(b, ``, r.Ended.ISO, `" title="`)
	tag(b, ``, r.Ended.Text, `">`)
	tag(b, ``, r.Ago, `</time></li>`)
}
