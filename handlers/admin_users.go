package handlers

import (
	"errors"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

// usersPath is the support search; a person's page is usersPath + "/" + id.
const usersPath = adminPath + "/users"

// adminReasonText is an administrator's reason code in the reader's words.
func adminReasonText(l *locale.Localizer, code string) string {
	if !slices.Contains(auth.AdminEndReasons, code) {
		code = "other"
	}
	return l.T("support.reason." + code)
}

// adminEndedText is what a device an administrator signed out is told.
func adminEndedText(l *locale.Localizer, code string) string {
	return l.T("login.ended_admin", "Reason", adminReasonText(l, code))
}

// userMatchRow is one search result.
type userMatchRow struct {
	Href, Email, Name, Joined, Verified, Sessions string
}

// adminUsersPage is /admin/users?q=.
type adminUsersPage struct {
	Layout
	Query, Error string
	Searched     bool
	Matches      []userMatchRow
}

// adminUsers is GET /admin/users?q=: people whose email contains q. A q that is too long
// or holds control characters answers 400, the field named.
func (h *Handler) adminUsers(c *fiber.Ctx) error {
	l := h.localizer(c)
	p := &adminUsersPage{Layout: h.layout(c, l.T("support.title")), Query: echoText(c.Query("q"))}
	if c.Query("q") == "" {
		return h.page(c, "pages/admin_users", p)
	}
	matches, err := h.auth.SearchUsers(c.UserContext(), c.Query("q"))
	var in *auth.InputError
	if errors.As(err, &in) {
		p.Error = l.T(in.Code)
		c.Status(fiber.StatusBadRequest)
		return h.page(c, "pages/admin_users", p)
	}
	if err != nil {
		return err
	}
	p.Searched = true
	for _, m := range matches {
		verified := l.T("support.unverified")
		if m.EmailVerifiedAt.Valid {
			verified = l.T("support.verified")
		}
		p.Matches = append(p.Matches, userMatchRow{Href: usersPath + "/" + m.ID, Email: m.Email, Name: m.Name,
			Joined: l.DateTime(m.CreatedAt), Verified: verified, Sessions: l.N("sessions.count", m.LiveSessions)})
	}
	return h.page(c, "pages/admin_users", p)
}

// reasonOption is one choice of the end-session reason list.
type reasonOption struct {
	Code, Text string
	Selected   bool
}

// supportEvent is one line of the person's recent activity.
type supportEvent struct {
	At   rows.Time
	Text string
}

// adminUserPage is /admin/users/:id: the person, their sessions as they see them, their
// recent activity and ended sessions, and the forms that end sessions.
type adminUserPage struct {
	Layout
	ID, Email, Name, Verified string
	Sessions                  []supportSession
	EndAll                    endForm
	Events                    []supportEvent
	Ended                     []supportEvent
	Error                     string // a refused form, its field named
	Done                      string
}

// supportSession is one live session and the form that ends it.
type supportSession struct {
	Row  rows.Session
	Form endForm
}

// endForm is partials/admin_end_form: reason, note and the button, for one session or all.
type endForm struct {
	L                   *locale.Localizer
	CSRF, Action, For   string // For: the session id, or "all"; it keeps the form's ids apart
	Submit, Note, Field string // Field: the one a refused answer marks
	Reasons             []reasonOption
}

// adminUser is GET /admin/users/:id.
func (h *Handler) adminUser(c *fiber.Ctx) error {
	p, err := h.newAdminUserPage(c)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(c.Query("ended")); err == nil && n > 0 {
		p.Done = p.L.N("support.done", n)
	}
	return h.page(c, "pages/admin_user", p)
}

// newAdminUserPage reads the person of the request's :id.
func (h *Handler) newAdminUserPage(c *fiber.Ctx) (*adminUserPage, error) {
	l := h.localizer(c)
	c.Locals(keyAdminTarget, c.Params("id"))
	view, err := h.auth.Support(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	c.Locals(keyAdminTarget, view.User.ID)
	// The sessions exactly as the person's own table shows them, with no current one.
	table := buildSessionsTable(l, "", "", view.Sessions, h.auth.Now(), h.auth.Config().Places.Loaded(),
		h.auth.Config().BoundCookieTTL)
	p := &adminUserPage{Layout: h.layout(c, l.T("support.person_title", "Email", view.User.Email)),
		ID: view.User.ID, Email: view.User.Email, Name: view.User.Name, Verified: l.T("support.unverified")}
	base := usersPath + "/" + view.User.ID + "/sessions/"
	for _, row := range table.Rows {
		h.withRevokeFacts(l, &row, view.Sessions)
		p.Sessions = append(p.Sessions, supportSession{Row: row, Form: h.newEndForm(l, p.CSRF, base+row.ID+"/end", row.ID,
			l.T("support.end_one", "Device", row.Label))})
	}
	p.EndAll = h.newEndForm(l, p.CSRF, base+"end", "all", l.T("support.end_all"))
	if view.User.EmailVerifiedAt.Valid {
		p.Verified = l.T("support.verified")
	}
	for _, e := range view.Activity.Events.Events {
		p.Events = append(p.Events, supportEvent{At: rows.Time{ISO: isoTime(e.CreatedAt), Text: l.DateTime(e.CreatedAt)}, Text: eventText(l, e)})
	}
	for _, s := range view.Activity.Ended {
		p.Ended = append(p.Ended, supportEvent{At: rows.Time{ISO: isoTime(s.EndedAt), Text: l.DateTime(s.EndedAt)},
			Text: label(l, s.Session) + ": " + endedHow(l, s)})
	}
	return p, nil
}

func (h *Handler) newEndForm(l *locale.Localizer, csrf, action, forID, submit string) endForm {
	f := endForm{L: l, CSRF: csrf, Action: action, For: forID, Submit: submit}
	for _, code := range auth.AdminEndReasons {
		f.Reasons = append(f.Reasons, reasonOption{Code: code, Text: adminReasonText(l, code)})
	}
	return f
}

// adminEndSessions is POST /admin/users/:id/sessions/:sid/end (one) and
// /admin/users/:id/sessions/end (all): reason (one of the list) and note. A missing or
// unknown reason, or a bad note, answers 422 with the field named and nothing ended.
func (h *Handler) adminEndSessions(c *fiber.Ctx) error {
	req := auth.AdminEnd{UserID: c.Params("id"), SessionID: c.Params("sid"), Reason: formValue(c, "reason"), Note: formValue(c, "note")}
	c.Locals(keyAdminTarget, req.UserID)
	ended, err := h.auth.EndSessionsAsAdmin(c.UserContext(), *current(c), req)
	var in *auth.InputError
	if errors.As(err, &in) {
		p, perr := h.newAdminUserPage(c)
		if perr != nil {
			return perr
		}
		p.Error = p.L.T("support.error.field", "Field", p.L.T("support.field."+in.Field), "Problem", p.L.T(in.Code))
		form := &p.EndAll
		for i := range p.Sessions {
			if p.Sessions[i].Row.ID == req.SessionID {
				form = &p.Sessions[i].Form
			}
		}
		form.Field, form.Note = in.Field, echoText(req.Note) // the form as sent, its field marked
		for i := range form.Reasons {
			form.Reasons[i].Selected = form.Reasons[i].Code == req.Reason
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return h.page(c, "pages/admin_user", p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(usersPath+"/"+c.Params("id")+"?ended="+strconv.Itoa(len(ended)), fiber.StatusSeeOther)
}

// apiUserMatch is a search result in the admin JSON API.
type apiUserMatch struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified bool   `json:"email_verified"`
	LiveSessions  int    `json:"live_sessions"`
}

// apiAdminUsers is GET /api/admin/users?q=.
func (h *Handler) apiAdminUsers(c *fiber.Ctx) error {
	matches, err := h.auth.SearchUsers(c.UserContext(), c.Query("q"))
	var in *auth.InputError
	if errors.As(err, &in) {
		return apiError(c, fiber.StatusBadRequest, "invalid_q", h.localizer(c).T(in.Code))
	}
	if err != nil {
		return err
	}
	out := make([]apiUserMatch, 0, len(matches))
	for _, m := range matches {
		out = append(out, apiUserMatch{ID: m.ID, Email: m.Email, Name: m.Name, EmailVerified: m.EmailVerifiedAt.Valid, LiveSessions: m.LiveSessions})
	}
	return sendJSON(c, fiber.Map{"users": out})
}

// apiAdminUser is GET /api/admin/users/:id: the person, their live sessions (as their own
// list shows them: never a token, hash or cookie) and their recent events.
func (h *Handler) apiAdminUser(c *fiber.Ctx) error {
	c.Locals(keyAdminTarget, c.Params("id"))
	view, err := h.auth.Support(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	l := h.localizer(c)
	sessions := make([]apiSession, 0, len(view.Sessions))
	for _, s := range view.Sessions {
		sessions = append(sessions, h.newAPISession(s, ""))
	}
	events := make([]apiEvent, 0, len(view.Activity.Events.Events))
	for _, e := range view.Activity.Events.Events {
		events = append(events, h.newAPIEvent(l, e))
	}
	u := view.User
	return sendJSON(c, fiber.Map{
		"user":     apiUserMatch{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerifiedAt.Valid, LiveSessions: len(sessions)},
		"sessions": sessions, "events": events,
	})
}

type adminEndBody struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// apiAdminEndSessions is POST /api/admin/users/:id/sessions/:sid/end and .../sessions/end
// {"reason", "note"}: {"ended": [ids]}; 422 invalid_reason or invalid_note, 404 when
// there was nothing to end.
func (h *Handler) apiAdminEndSessions(c *fiber.Ctx) error {
	var body adminEndBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	c.Locals(keyAdminTarget, c.Params("id"))
	ended, err := h.auth.EndSessionsAsAdmin(c.UserContext(), *current(c),
		auth.AdminEnd{UserID: c.Params("id"), SessionID: c.Params("sid"), Reason: body.Reason, Note: body.Note})
	if err != nil {
		return err // the error handler answers the known refusals (authAnswers)
	}
	return sendJSON(c, fiber.Map{"ended": endedIDs(ended)})
}

func endedIDs(sessions []db.Session) []string {
	ids := make([]string, 0, len(sessions))
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	return ids
}
