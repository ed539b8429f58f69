package rows

import (
	"html/template"
	"strings"
	"time"
)

// Session is one row of the sessions table; the page and the htmx fragment use it alike.
// Its words are worked out by the handlers, and only the ones a row shows; the rest
// (address, user agent, expiry) are for the revoke question.
type Session struct {
	ID, Label            string
	Icon                 string // the device kind, the class that draws its icon
	Place                string // the latest place, city and country ("" without data)
	Current, DeviceBound bool
	Flags                []string // why to look at this row, as badges ("New device", ...)
	Flagged              bool     // the row has flags: sorted after the current one, with "This was me"
	Secure               bool     // the page's one "Not you? Secure your account": the first flagged row
	Text                 *SessionText
	RevokeLabel          string // "Revoke Chrome on macOS in Berlin, Germany": tells like devices apart
	SignedIn             Time   // when it signed in, in UTC (app.js shows it in the reader's zone)
	Active               string // "active 27 minutes ago"; "" when that is when it signed in
	Highlight            string // "The session from the email": the mail's ?session=<id>

	// Not in the row: the revoke question's facts, set on the row it asks about alone
	// (handlers.withRevokeFacts): the table leaves them empty.
	IP, UserAgent string
	LastSeen      string // "27 minutes ago"
	Expires       Time
	CreatedAt     time.Time
	UntilClose    string // "Until the browser closes" for a session without "Keep me signed in"
	SignedInFrom  string // where it signed in, with the address
}

// SessionText is the words every row shares, looked up once per table.
type SessionText struct {
	Current, SignedIn, Revoke, Secure, ThisWasMe, DeviceBound string
	BoundDetails                                              string // for the revoke question, not the row
}

// Sessions is the <tr> of each row, the only renderer of a session row: the page's table
// and every htmx answer that swaps the table (partials/sessions) call it. Its markup of
// record is session.html.
func Sessions(rows []Session) template.HTML {
	return list(rows, 600, writeSession) // a plain row is ~450 bytes, a flagged one more
}

// writeSession writes one row, styled by position in app.css and lean, as 50 rows must fit
// the page's 40 KB. Revoke's form (and the first flagged row's "Not you?", ?do=secure) is
// boosted into the confirm dialog by #sessions-body, which asks before anything changes.
// A flagged row's "This was me" submits the table's one form #mine (its token once, the
// row's id as the button's value: 92 bytes a row, as 50 flagged rows must fit too), which
// swaps the row; it comes after Revoke, so the keyboard meets Revoke first.
func writeSession(b *strings.Builder, r *Session) {
	t := r.Text
	b.WriteString(`<tr id="session-`)
	escapeHTML(b, r.ID)
	b.WriteByte('"')
	switch {
	case r.Current:
		b.WriteString(` class="current"`)
	case r.Flagged && r.Highlight != "":
		b.WriteString(` class="flagged highlight"`)
	case r.Flagged:
		b.WriteString(` class="flagged"`)
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
		tag(b, ` <strong class="badge">`, r.Highlight, `</strong>`)
	}
	for _, f := range r.Flags {
		tag(b, ` <strong class="risk">`, f, `</strong>`)
	}
	if r.DeviceBound {
		tag(b, ` <span class="bound">`, t.DeviceBound, `</span>`)
	}
	b.WriteString(`<small>`)
	if r.Place != "" {
		tag(b, ``, r.Place, ` · `)
	}
	tag(b, ``, t.SignedIn, ` <time datetime="`)
	tag(b, ``, r.SignedIn.ISO, `">`)
	tag(b, ``, r.SignedIn.Text, `</time>`)
	if r.Active != "" {
		tag(b, ` · `, r.Active, ``)
	}
	b.WriteString(`</small></th><td>`)
	if !r.Current {
		b.WriteString(`<form action="/app/settings/security/sessions/`)
		escapeURLPath(b, r.ID)
		tag(b, `/revoke"><button aria-label="`, r.RevokeLabel, `">`)
		tag(b, ``, t.Revoke, `</button>`)
		if r.Secure {
			tag(b, `<button name="do" value="secure" class="danger">`, t.Secure, `</button>`)
		}
		b.WriteString(`</form>`)
		if r.Flagged {
			tag(b, `<button form="mine" name="id" value="`, r.ID, `">`)
			tag(b, ``, t.ThisWasMe, `</button>`)
		}
	}
	b.WriteString("</td></tr>\n")
}
