package handlers

import (
	"html/template"
	"strings"
)

// sessionRows is the <tr> of each row, the only renderer of a session row: the page's
// table and every htmx answer that swaps the table (partials/sessions) call it.
//
// It is written in Go rather than as a template: html/template runs each action through
// its escapers by reflection, which made the 50 rows ~40% of a page view's CPU (~1 ms of
// ~2.8 ms). Escaping is explicit here and byte for byte what html/template writes in the
// same places; TestSessionRowMatchesTemplate holds it to handlers/testdata/session_row.html,
// the template this replaced, for hostile labels, addresses, places and words.
func sessionRows(rows []sessionRow) template.HTML {
	return rowsHTML(rows, 640, writeSessionRow)
}

// rowsHTML is rows written one after the other by write, which must pass every value it
// writes through escapeHTML or escapeURLPath: the result is trusted as HTML.
func rowsHTML[T any](rows []T, perRow int, write func(*strings.Builder, *T)) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * perRow)
	for i := range rows {
		write(&b, &rows[i])
	}
	return template.HTML(b.String())
}

// writeSessionRow writes one row; the layout is partials/sessions's table, styled by
// position in app.css. Lean, as 50 rows must fit the page's 40 KB: one machine-readable
// time (the expiry), the user agent shown by the revoke question (partials/confirm_revoke),
// and Revoke's form boosted into the confirm dialog by #sessions-body.
func writeSessionRow(b *strings.Builder, r *sessionRow) {
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

// tag writes open, s escaped, then close: markup around one value.
func tag(b *strings.Builder, open, s, close string) {
	b.WriteString(open)
	escapeHTML(b, s)
	b.WriteString(close)
}

// htmlEscapes is html/template's table for text and quoted attribute values (its
// htmlReplacementTable); html/template's exported HTMLEscapeString leaves '+' as it is.
var htmlEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// escapeHTML writes s as html/template writes a string in text or a quoted attribute value.
// Only ASCII bytes are replaced, so working on bytes is the same as on runes (a UTF-8
// continuation byte is never below 0x80).
func escapeHTML(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) < len(htmlEscapes) && htmlEscapes[c] != "" {
			b.WriteString(s[written:i])
			b.WriteString(htmlEscapes[c])
			written = i + 1
		}
	}
	b.WriteString(s[written:])
}

// escapeURLPath writes s as html/template writes a string in the path of a quoted URL
// attribute: percent-encoded where a path does not allow it, then escaped as any attribute
// value. It mirrors html/template's URL normalizer (processURLOnto with norm).
func escapeURLPath(b *strings.Builder, s string) {
	var u strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		u.WriteString(s[written:i])
		u.WriteByte('%')
		u.WriteByte("0123456789abcdef"[c>>4])
		u.WriteByte("0123456789abcdef"[c&15])
		written = i + 1
	}
	if written == 0 {
		escapeHTML(b, s)
		return
	}
	u.WriteString(s[written:])
	escapeHTML(b, u.String())
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
