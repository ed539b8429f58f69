package rows

import (
	"html/template"
	"strconv"
	"strings"
)

// Activity is one event of the security activity in plain words; the page and "Show more"
// render it alike.
type Activity struct {
	ID    int64
	Type  string
	Text  string
	IP    string
	Place string // where IP is ("" without location data)
	When  string // how long ago, in words
	Focus bool   // the first row of a page loaded by "Show more" takes focus
}

// Activities is the <li> of each event of a page of security activity: the security page
// and the htmx "Show more" answer reach them only through partials/activity_page. Its
// markup of record is activity.html.
func Activities(rows []Activity) template.HTML {
	return list(rows, 160, writeActivity)
}

// writeActivity writes one event, lean like the session rows (styled by position in
// app.css, relative time only): the page must fit 40 KB.
func writeActivity(b *strings.Builder, r *Activity) {
	b.WriteString(`<li id="event-`)
	b.WriteString(strconv.FormatInt(r.ID, 10))
	b.WriteByte('"')
	if r.Focus {
		b.WriteString(` tabindex="-1" data-autofocus`)
	}
	tag(b, `><span>`, r.Text, `</span> <span>`)
	escapeHTML(b, r.When)
	if r.Place != "" {
		tag(b, ` · `, r.Place, ``)
	}
	if r.IP != "" {
		tag(b, ` · `, r.IP, ``)
	}
	b.WriteString("</span></li>\n")
}
