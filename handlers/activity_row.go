package handlers

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/docodego/sessions/locale"
)

// activityRows is the <li> of each event of a page of security activity: the security page
// and the htmx "Show more" answer reach them only through partials/activity_page. Written
// in Go with html/template's escapes, like sessionRows and for the same reason: 20 rows
// took ~150-200 µs as template actions, ~20 µs here (TestRowWritersMatchTemplates holds
// this file's writers to the templates they replaced, handlers/testdata).
func activityRows(rows []activityRow) template.HTML {
	return rowsHTML(rows, 160, writeActivityRow)
}

// writeActivityRow writes one event, lean like the session rows (styled by position in
// app.css, relative time only): the page must fit 40 KB.
func writeActivityRow(b *strings.Builder, r *activityRow) {
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

// noticeWords are the words every "new sign-in" notice shares, looked up once per list.
type noticeWords struct{ NotYou, Revoke, Secure, Dismiss string }

// noticeRows is each "new sign-in" notice of partials/activity_notices (the page, a revoke's
// answer and a live update), written in Go with html/template's escapes like activityRows.
func noticeRows(l *locale.Localizer, csrf string, notices []noticeRow) template.HTML {
	w := noticeWords{NotYou: l.T("notice.not_you"), Revoke: l.T("notice.revoke"),
		Secure: l.T("notice.secure"), Dismiss: l.T("notice.dismiss")}
	return rowsHTML(notices, 900, func(b *strings.Builder, n *noticeRow) { writeNotice(b, &w, csrf, n) })
}

// writeNotice writes one notice: Revoke it and Secure are boosted into the confirm dialog,
// like a row's Revoke; Dismiss deletes the notice in place (hx-swap delete).
func writeNotice(b *strings.Builder, w *noticeWords, csrf string, n *noticeRow) {
	id := strconv.FormatInt(n.ID, 10)
	b.WriteString("\n<div id=\"notice-" + id + `" class="notice" role="status"><p>`)
	escapeHTML(b, n.Text)
	tag(b, ` `, w.NotYou, "</p><div class=\"notice-actions\">\n<form action=\"/app/settings/security/sessions/")
	escapeURLPath(b, n.SessionID)
	tag(b, `/revoke" hx-boost="target:#confirm-dialog push:false"><button class="danger-outline" data-dialog>`, w.Revoke,
		"</button></form>\n<form action=\"/app/settings/security/sessions/")
	escapeURLPath(b, n.SessionID)
	tag(b, `/secure" hx-boost="target:#confirm-dialog push:false"><button class="danger" data-dialog>`, w.Secure,
		"</button></form>\n<form method=\"post\" action=\"/app/settings/security/notices/"+id+`/dismiss"><input type="hidden" name="_csrf" value="`)
	escapeHTML(b, csrf)
	b.WriteString(`"><button class="secondary" hx-post="/app/settings/security/notices/` + id + `/dismiss" hx-target="#notice-` + id +
		`" hx-swap="delete" data-notice-dismiss>`)
	tag(b, ``, w.Dismiss, "</button></form>\n</div></div>")
}

// endedRows is each recently ended session of partials/ended_sessions, written in Go with
// html/template's escapes like activityRows: up to 50 rows (maxEnded) of template actions
// cost ~0.3 ms a page.
func endedRows(rows []endedRow) template.HTML {
	return rowsHTML(rows, 150, writeEndedRow)
}

// writeEndedRow writes one ended session, lean like the activity rows (styled by position
// in app.css): auth.EndedShown of them are on every page, which must fit 40 KB.
func writeEndedRow(b *strings.Builder, r *endedRow) {
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
