// Package rows writes the security page's hot lists (session rows, activity, notices,
// ended sessions) in Go. Each writer sits beside the template that is its markup of record
// (session.html beside session.go, ...): the tests render that template with the page's
// html/v2 engine and demand the same bytes for hostile data (rows_test.go, FuzzRowWriters).
// Why they exist at all: BENCHMARKS.md, "Rendering the security page".
package rows

import (
	"html/template"
	"strings"
)

// Time is a moment as a <time> shows it: machine form and words (relative in a row, the
// full date in the revoke question).
type Time struct{ ISO, Text string }

// list is rows written one after the other by write, which must pass every value it
// writes through escapeHTML or escapeURLPath: the result is trusted as HTML. perRow is
// room for a long row: too little and the builder copies the table again as it grows,
// room unused costs nothing but the allocation's size.
func list[T any](rows []T, perRow int, write func(*strings.Builder, *T)) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * perRow)
	for i := range rows {
		write(&b, &rows[i])
	}
	return template.HTML(b.String())
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
