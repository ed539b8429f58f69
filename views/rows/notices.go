package rows

import (
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Notice is a "new sign-in" notice.
type Notice struct {
	ID        int64
	SessionID string
	Text      string
	At        time.Time
}

// NoticeWords are the words every notice shares, looked up once per list.
type NoticeWords struct{ NotYou, Revoke, Secure, Dismiss string }

// NoticeList is the notices of partials/activity_notices with what they share.
type NoticeList struct {
	Words   NoticeWords
	CSRF    string
	Notices []Notice
}

// Notices is each notice of the list (the page, a revoke's answer and a live update). Its
// markup of record is notices.html.
func Notices(l NoticeList) template.HTML {
	return list(l.Notices, 900, func(b *strings.Builder, n *Notice) { writeNotice(b, &l.Words, l.CSRF, n) })
}

// writeNotice writes one notice: Revoke it and Secure are boosted into the confirm dialog,
// like a row's Revoke; Dismiss deletes the notice in place (hx-swap delete).
func writeNotice(b *strings.Builder, w *NoticeWords, csrf string, n *Notice) {
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
