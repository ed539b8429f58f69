package rows

import (
	"html/template"
	"strings"
	"time"
)

// Session is one row of the sessions table; the page and the htmx fragment use it alike.
// Its words are worked out by the handlers, and only the ones a row shows.
type Session struct {
	ID, Label, IP, UserAgent string
	Icon                     string // the device kind, the class that draws its icon
	Place, SignedInFrom      string // latest place; where it signed in ("" without data)
	Current, DeviceBound     bool
	Text                     *SessionText
	RevokeLabel              string
	Created, LastSeen        string // relative: "3 hours ago"
	Expires                  Time
	CreatedAt                time.Time // the revoke question shows it in full
	UntilClose               string    // "Until the browser closes" for a session without "Keep me signed in"
	Highlight                string    // "The session from the email": the mail's ?session=<id>
}

// SessionText is the words every row shares, looked up once per table.
type SessionText struct {
	Current, Details, ColIP, ColSignedIn, ColLastActive, ColActions, UnknownIP, ActiveNow,
	Expires, ThisDevice, Revoke string
	DeviceBound, BoundDetails string // DBSC shield and its Details line
}

// Sessions is the <tr> of each row, the only renderer of a session row: the page's table
// and every htmx answer that swaps the table (partials/sessions) call it. Its markup of
// record is session.html.
func Sessions(rows []Session) template.HTML {
	return list(rows, 640, writeSession)
}

// writeSession writes one row; the layout is partials/sessions's table, styled by position
// in app.css. Lean, as 50 rows must fit the page's 40 KB: one machine-readable time (the
// expiry), the user agent shown by the revoke question (partials/confirm_revoke), and
// Revoke's form boosted into the confirm dialog by #sessions-body.
func writeSession(b *strings.Builder, r *Session) {
	t := r.Text
	b.WriteString(`<tr id="session-`)
	escapeHTML(b, r.ID)
	b.WriteByte('"')
	switch {
	case r.Current:
		b.WriteString(` class="current"`)
	case r.Highlight != "":
		b.WriteString(` class="highlight"`)
	}
	tag(b, `><th scope="row" class="`, r.Icon, `"><span>`)
	escapeHTML(b, r.Label)
	b.WriteString(`</span>`)
	if r.Current {
		tag(b, ` <span class="badge">`, t.Current, `</span>`)
	}
	if r.Highlight != "" {
		tag(b, `<strong class="badge">`, r.Highlight, `</strong>`)
	}
	if r.DeviceBound {
		tag(b, `<span class="bound">`, t.DeviceBound, `</span>`)
	}
	if r.Place != "" {
		tag(b, `<span class="place">`, r.Place, `</span>`)
	}
	if r.DeviceBound || r.SignedInFrom != "" {
		tag(b, `<details><summary>`, t.Details, `</summary>`)
		if r.DeviceBound {
			tag(b, `<p>`, t.BoundDetails, `</p>`)
		}
		if r.SignedInFrom != "" {
			tag(b, `<p>`, r.SignedInFrom, `</p>`)
		}
		b.WriteString(`</details>`)
	}
	ip := r.IP
	if ip == "" {
		ip = t.UnknownIP
	}
	tag(b, `</th><td data-label="`, t.ColIP, `">`)
	escapeHTML(b, ip)
	tag(b, `</td><td data-label="`, t.ColSignedIn, `">`)
	escapeHTML(b, r.Created)
	tag(b, `</td><td data-label="`, t.ColLastActive, `">`)
	if r.Current {
		escapeHTML(b, t.ActiveNow)
	} else {
		escapeHTML(b, r.LastSeen)
	}
	if r.UntilClose != "" {
		tag(b, `<span>`, r.UntilClose, `</span>`)
	} else {
		tag(b, `<span>`, t.Expires, ` <time datetime="`)
		escapeHTML(b, r.Expires.ISO)
		tag(b, `">`, r.Expires.Text, `</time></span>`)
	}
	b.WriteString(`</td><td>`)
	if r.Current {
		tag(b, `<span class="muted">`, t.ThisDevice, `</span>`)
	} else {
		b.WriteString(`<form action="/app/settings/security/sessions/`)
		escapeURLPath(b, r.ID)
		tag(b, `/revoke"><button aria-label="`, r.RevokeLabel, `">`)
		tag(b, ``, t.Revoke, `</button></form>`)
	}
	b.WriteString("</td></tr>\n")
}
