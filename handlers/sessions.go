package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// securityPage shows the sessions table.
func (h *Handler) securityPage(c *fiber.Ctx) error {
	setPageHeaders(c)
	cur := current(c)
	l := h.localizer(c)
	p := &securityPage{Layout: h.layout(c, l.T("security.title"))}
	rows, activity, err := h.loadSecurityOverview(c, l, p.CSRF, cur)
	if err != nil {
		return err
	}
	p.Table, p.Activity = h.newSessionsTable(l, p.CSRF, cur, rows), activity
	if id, ok := auth.ParseSessionID(c.Query("session")); ok {
		for i := range p.Table.Rows {
			if p.Table.Rows[i].ID == id {
				p.Table.Rows[i].Highlight = l.T("sessions.highlighted")
			}
		}
	}
	p.Password = h.newPasswordForm(c, l, p.CSRF)
	p.Verify = h.newVerifyCard(c, l, p.CSRF, cur)
	switch c.Query("done") {
	case "revoked":
		p.Notice = l.T("sessions.revoked")
	case "revoked_others":
		p.Notice = l.T("sessions.revoked_others")
	case "changed", "changed_revoked":
		p.Notice = l.T("password." + c.Query("done"))
	case "secured": // after "Not you?": what was done, and the change-password form focused
		n, _ := strconv.Atoi(c.Query("n"))
		p.Password.Done, p.Password.Focus = l.N("secure.done", max(n, 0)), true
	case "verified":
		p.Notice = verifyNotice(c, l)
	case "verification_sent":
		p.Notice = l.T("verify.sent", "Email", cur.Email)
	}
	if err := h.page(c, "pages/security", p); err != nil {
		return err
	}
	compress(c)
	return nil
}

// sessionsPath is where the security page's session resources live.
const sessionsPath = securityPath + "/sessions/"

// confirmRevoke asks whether to end one session: a page without JavaScript, and for htmx
// the same question as a fragment for the security page's confirm dialog.
func (h *Handler) confirmRevoke(c *fiber.Ctx) error {
	if c.Query("do") == "secure" { // a flagged row's "Not you?", sent by its Revoke form
		return h.confirmSecure(c)
	}
	q, ok, err := h.revokeQuestionFor(c)
	if err != nil {
		return err
	}
	if !ok {
		// Already gone, or never ours: the fresh table says more than an error would.
		return h.staleConfirm(c)
	}
	return h.confirm(c, q)
}

// confirmRevokeOthers asks whether to end every other session, like confirmRevoke.
func (h *Handler) confirmRevokeOthers(c *fiber.Ctx) error {
	q, ok, err := h.revokeOthersQuestionFor(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.staleConfirm(c)
	}
	return h.confirm(c, q)
}

// revokeQuestionFor is the question about the session of the route's :id; false when it is
// not one of the caller's other live sessions.
func (h *Handler) revokeQuestionFor(c *fiber.Ctx) (confirmQuestion, bool, error) {
	cur := current(c)
	rows, err := h.auth.Sessions(c.UserContext(), *cur)
	if err != nil {
		return confirmQuestion{}, false, err
	}
	l := h.localizer(c)
	csrf := h.csrfToken(c)
	table := h.newSessionsTable(l, csrf, cur, rows)
	id, _ := auth.ParseSessionID(c.Params("id")) // canonical: an id in upper case is the same id
	for i := range table.Rows {
		if row := &table.Rows[i]; row.ID == id && !row.Current {
			h.withRevokeFacts(l, row, rows)
			q := revokeQuestion(l, csrf, row)
			q.NeedPassword = !h.auth.Fresh(*cur)
			return q, true, nil
		}
	}
	return confirmQuestion{}, false, nil
}

// revokeOthersQuestionFor is the "revoke all others" question; false when there are none.
func (h *Handler) revokeOthersQuestionFor(c *fiber.Ctx) (confirmQuestion, bool, error) {
	cur := current(c)
	rows, err := h.auth.Sessions(c.UserContext(), *cur)
	if err != nil || len(rows) < 2 {
		return confirmQuestion{}, false, err
	}
	q := revokeOthersQuestion(h.localizer(c), h.csrfToken(c), len(rows)-1)
	q.NeedPassword = !h.auth.Fresh(*cur)
	return q, true, nil
}

// confirm renders q: alone for htmx (into the dialog), else as a page.
func (h *Handler) confirm(c *fiber.Ctx, q confirmQuestion) error {
	if isHTMX(c) {
		return h.fragment(c, "partials/confirm_revoke", q)
	}
	q.Page = true
	title := q.Title
	if q.Row != nil {
		title = q.L.T("revoke.title_page")
	}
	return h.page(c, "pages/confirm_revoke", &confirmPage{Layout: h.layout(c, title), Question: q})
}

// staleConfirm answers a question about sessions that are no longer there: the page
// without JavaScript; for htmx the fresh table, swapped where the table is instead of
// into the dialog (fetch would follow a redirect and put the whole page there).
func (h *Handler) staleConfirm(c *fiber.Ctx) error {
	if !isHTMX(c) {
		return c.Redirect(securityPath, fiber.StatusSeeOther)
	}
	c.Set("HX-Retarget", "#sessions")
	c.Set("HX-Reswap", "outerHTML")
	return h.answerTable(c, "")
}

// revokeSession ends one other session. htmx gets the row removed in place plus
// out-of-band updates; a plain form gets a redirect back to the page.
func (h *Handler) revokeSession(c *fiber.Ctx) error {
	cur := current(c)
	if done, err := h.proveFromForm(c, h.revokeQuestionFor); done {
		return err
	}
	ended, err := h.auth.RevokeSession(c.UserContext(), *cur, c.Params("id"))
	switch {
	case errors.Is(err, auth.ErrReauthRequired):
		return h.askPassword(c, h.revokeQuestionFor, "")
	case errors.Is(err, auth.ErrSessionNotFound), errors.Is(err, auth.ErrCurrentSession):
		// Already gone (or not revocable here): answer with the fresh table, not an error.
		return h.answerTable(c, "")
	case err != nil:
		return err
	}
	h.countRevoked(1)
	l := h.localizer(c)
	return h.answerTable(c, l.T("sessions.signed_out_device", "Device", label(l, ended)))
}

// confirmSession is "This was me" about the route's :id, or the form's id (a row's button
// submits the table's one form): the row is no longer flagged. htmx gets that row again,
// in its place, with the row that now holds the page's one "Not you?" out of band; a plain
// form gets the page, at the row.
func (h *Handler) confirmSession(c *fiber.Ctx) error {
	cur := current(c)
	id := c.Params("id")
	if id == "" {
		id = formValue(c, "id")
	}
	confirmed, err := h.auth.ConfirmSession(c.UserContext(), *cur, id)
	if errors.Is(err, auth.ErrSessionNotFound) {
		return h.staleConfirm(c) // already gone: the fresh table says so
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(securityPath+"#session-"+confirmed.ID, fiber.StatusSeeOther)
	}
	sessions, err := h.auth.Sessions(c.UserContext(), *cur)
	if err != nil {
		return err
	}
	l := h.localizer(c)
	var u sessionConfirmed
	for _, r := range h.newSessionsTable(l, h.csrfToken(c), cur, sessions).Rows {
		switch {
		case r.ID == confirmed.ID:
			u.Row = append(u.Row, r)
		case r.Secure:
			u.Secure = append(u.Secure, r)
		}
	}
	if len(u.Row) == 0 { // ended in between
		return h.staleConfirm(c)
	}
	u.Announce = l.T("sessions.confirmed", "Device", u.Row[0].Label)
	c.Set("HX-Retarget", "#session-"+confirmed.ID)
	c.Set("HX-Reswap", "outerHTML")
	return h.fragment(c, "partials/session_confirmed", u)
}

// revokeOtherSessions ends every session but the current one.
func (h *Handler) revokeOtherSessions(c *fiber.Ctx) error {
	if done, err := h.proveFromForm(c, h.revokeOthersQuestionFor); done {
		return err
	}
	ended, err := h.auth.RevokeOtherSessions(c.UserContext(), *current(c))
	if errors.Is(err, auth.ErrReauthRequired) {
		return h.askPassword(c, h.revokeOthersQuestionFor, "")
	}
	if err != nil {
		return err
	}
	h.countRevoked(len(ended))
	return h.answerTable(c, h.localizer(c).N("sessions.revoked_n", len(ended)))
}

// answerTable finishes a revoke: for htmx, the fresh rows with out-of-band updates of the
// count, the "revoke all others" control and the live region; otherwise a redirect.
func (h *Handler) answerTable(c *fiber.Ctx, announce string) error {
	if !isHTMX(c) {
		done := "revoked"
		if c.Route().Path == "/app/settings/security/sessions/revoke-others" {
			done = "revoked_others"
		}
		if announce == "" {
			return c.Redirect(securityPath, fiber.StatusSeeOther)
		}
		return c.Redirect(securityPath+"?done="+done, fiber.StatusSeeOther)
	}
	u, err := h.freshSessionsUpdate(c)
	if err != nil {
		return err
	}
	u.Announce, u.Done = announce, announce
	return h.fragment(c, "partials/sessions_update", u)
}

// freshSessionsUpdate reads the sessions table and the activity as they are now, for the
// partials that a revoke's answer and a live update swap into the page.
func (h *Handler) freshSessionsUpdate(c *fiber.Ctx) (sessionsUpdate, error) {
	cur := current(c)
	l := h.localizer(c)
	csrf := h.csrfToken(c)
	rows, activity, err := h.loadSecurityOverview(c, l, csrf, cur)
	if err != nil {
		return sessionsUpdate{}, err
	}
	return sessionsUpdate{Table: h.newSessionsTable(l, csrf, cur, rows), Activity: activity}, nil
}
