package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
)

// passwordForm is the "Change password" card of the security page.
type passwordForm struct {
	L            *locale.Localizer
	CSRF         string
	Min          int
	RevokeOthers bool   // the "sign out of all other sessions" box; checked by default
	Error        string // plain words about what was wrong
	Field        string // the input the error is about: current_password, new_password, confirm_password
	Done         string // the success message after an htmx change
	Focus        bool   // put focus in the current password (after "Not you?")
}

// passwordUpdate is the htmx answer to a change: the fresh card, the sessions table
// when others were signed out, and the live-region announcement.
type passwordUpdate struct {
	Form     passwordForm
	Table    *sessionsTable
	Announce string
}

// passwordFormKey holds a re-rendered form (with its error) for the security page.
type passwordFormKey struct{}

// newPasswordForm is the card for this request: the one being re-rendered with an
// error, else an empty one with "sign out of all other sessions" checked.
func (h *Handler) newPasswordForm(c *fiber.Ctx, l *locale.Localizer, csrf string) passwordForm {
	if f, ok := c.Locals(passwordFormKey{}).(*passwordForm); ok {
		return *f
	}
	return passwordForm{L: l, CSRF: csrf, Min: auth.MinPasswordLength, RevokeOthers: true}
}

// passwordProblem turns a failed change into a status, a message id and the field at fault.
func passwordProblem(c *fiber.Ctx, err error) (status int, message, field string, ok bool) {
	var inputErr *auth.InputError
	var tooMany *auth.TooManyAttemptsError
	switch {
	case errors.Is(err, auth.ErrWrongPassword):
		return fiber.StatusBadRequest, "password.wrong_current", "current_password", true
	case errors.As(err, &inputErr):
		return fiber.StatusUnprocessableEntity, inputErr.Code, "new_password", true
	case errors.As(err, &tooMany):
		setRetryAfter(c, tooMany.RetryAfter)
		return fiber.StatusTooManyRequests, "error.rate_limited", "", true
	}
	return 0, "", "", false
}

// changePassword is the card's form: a plain POST (redirect back, or the page again with
// the error) or an htmx one (the fresh card, and the table when others were signed out).
func (h *Handler) changePassword(c *fiber.Ctx) error {
	cur := current(c)
	l := h.localizer(c)
	form := passwordForm{L: l, CSRF: h.csrfToken(c), Min: auth.MinPasswordLength,
		RevokeOthers: formValue(c, "revoke_others") != ""}
	var ended []db.Session
	status, message := 0, ""
	if formValue(c, "new_password") != formValue(c, "confirm_password") {
		status, message, form.Field = fiber.StatusUnprocessableEntity, "password.mismatch", "confirm_password"
	} else {
		var err error
		ended, err = h.auth.ChangePassword(c.UserContext(), *cur, client(c), auth.PasswordChange{
			Current: formValue(c, "current_password"), New: formValue(c, "new_password"), RevokeOthers: form.RevokeOthers,
		})
		if err != nil {
			var ok bool
			if status, message, form.Field, ok = passwordProblem(c, err); !ok {
				return err
			}
		}
	}
	if status != 0 {
		form.Error = l.T(message, "Min", auth.MinPasswordLength)
		if isHTMX(c) {
			// 200, so htmx swaps the card in with its error (4xx answers do not swap).
			return h.fragment(c, "partials/password_update", passwordUpdate{Form: form})
		}
		c.Status(status)
		c.Locals(passwordFormKey{}, &form)
		return h.securityPage(c)
	}
	done := "password.changed"
	if len(ended) > 0 {
		done = "password.changed_revoked"
	}
	if !isHTMX(c) {
		return c.Redirect(securityPath+"?done="+done[len("password."):], fiber.StatusSeeOther)
	}
	update := passwordUpdate{Form: form, Announce: l.T(done)}
	update.Form.Done, update.Form.RevokeOthers = update.Announce, true
	if len(ended) > 0 {
		rows, err := h.auth.Sessions(c.UserContext(), *cur)
		if err != nil {
			return err
		}
		table := h.newSessionsTable(l, form.CSRF, cur, rows)
		update.Table = &table
	}
	return h.fragment(c, "partials/password_update", update)
}

// changePasswordBody is better-auth's change-password body. A missing
// revokeOtherSessions means true here, the safer choice (ASVS 3.3.3).
type changePasswordBody struct {
	CurrentPassword     string `json:"currentPassword"`
	NewPassword         string `json:"newPassword"`
	RevokeOtherSessions *bool  `json:"revokeOtherSessions"`
}

// apiChangePassword is POST /api/auth/change-password.
func (h *Handler) apiChangePassword(c *fiber.Ctx) error {
	var body changePasswordBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if !passwordShaped(body.CurrentPassword) {
		return apiError(c, fiber.StatusBadRequest, "invalid_password", h.localizer(c).T("error.bad_request"))
	}
	cur := current(c)
	revoke := body.RevokeOtherSessions == nil || *body.RevokeOtherSessions
	ended, err := h.auth.ChangePassword(c.UserContext(), *cur, client(c), auth.PasswordChange{
		Current: body.CurrentPassword, New: body.NewPassword, RevokeOthers: revoke,
	})
	if err != nil {
		status, message, _, ok := passwordProblem(c, err)
		if !ok {
			return err
		}
		code := map[int]string{fiber.StatusBadRequest: "invalid_password",
			fiber.StatusUnprocessableEntity: "invalid_new_password", fiber.StatusTooManyRequests: "rate_limited"}[status]
		return apiError(c, status, code, h.localizer(c).T(message, "Min", auth.MinPasswordLength))
	}
	return sendJSON(c, fiber.Map{
		"token":           nil, // the current session keeps its token
		"user":            apiUser{ID: cur.UserID, Email: cur.Email, Name: cur.Name},
		"revokedSessions": len(ended),
	})
}
