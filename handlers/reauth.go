package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// questionFor builds the confirm question a form answered; false when it is moot.
type questionFor func(c *fiber.Ctx) (confirmQuestion, bool, error)

// proveFromForm handles the password a confirm form carries outside the re-authentication
// window: a right one starts the window (and the caller goes on to revoke in the same
// step); a wrong one, or too many, answers the question again with the error and done.
func (h *Handler) proveFromForm(c *fiber.Ctx, ask questionFor) (done bool, err error) {
	password := formValue(c, "password")
	if password == "" {
		return false, nil
	}
	err = h.auth.Reauthenticate(c.UserContext(), *current(c), password)
	var tooMany *auth.TooManyAttemptsError
	l := h.localizer(c)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, auth.ErrWrongPassword):
		return true, h.askPassword(c, ask, l.T("reauth.wrong_password"))
	case errors.As(err, &tooMany):
		setRetryAfter(c, tooMany.RetryAfter)
		return true, h.askPassword(c, ask, l.T("error.rate_limited"))
	}
	return true, err
}

// askPassword answers a revoke that needs a proof of password with its question, the
// password field and problem (if any): for htmx into the open dialog (200, so it swaps;
// the row stays), else the confirm page with 403.
func (h *Handler) askPassword(c *fiber.Ctx, ask questionFor, problem string) error {
	q, ok, err := ask(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.staleConfirm(c)
	}
	q.NeedPassword, q.PasswordError = true, problem
	if problem == "" && formValue(c, "password") == "" && c.Request().PostArgs().Has("password") {
		q.PasswordError = h.localizer(c).T("reauth.enter_password")
	}
	if isHTMX(c) {
		c.Set("HX-Retarget", "#confirm-dialog")
		c.Set("HX-Reswap", "innerHTML")
		return h.fragment(c, "partials/confirm_revoke", q)
	}
	c.Status(fiber.StatusForbidden)
	return h.confirm(c, q)
}

type reauthBody struct {
	Password string `json:"password"`
}

// apiReauthenticate is POST /api/auth/reauthenticate {"password"}: 200 and the window
// starts, 400 invalid_password, 429 after too many wrong ones.
func (h *Handler) apiReauthenticate(c *fiber.Ctx) error {
	var body reauthBody
	if err := decodeJSON(c, &body); err != nil {
		return h.baBadBody(c)
	}
	if !passwordShaped(body.Password) {
		return h.baBadPassword(c, body.Password)
	}
	err := h.auth.Reauthenticate(c.UserContext(), *current(c), body.Password)
	var tooMany *auth.TooManyAttemptsError
	l := h.localizer(c)
	switch {
	case errors.Is(err, auth.ErrWrongPassword):
		return baError(c, fiber.StatusBadRequest, "invalid_password", "INVALID_PASSWORD", l.T("reauth.wrong_password"))
	case errors.As(err, &tooMany):
		setRetryAfter(c, tooMany.RetryAfter)
		return baError(c, fiber.StatusTooManyRequests, "rate_limited", "TOO_MANY_REQUESTS", l.T("error.rate_limited"))
	case err != nil:
		return err
	}
	return sendJSON(c, fiber.Map{"status": true, "freshFor": int(h.auth.Config().ReauthWindow.Seconds())})
}

// reauthRequired answers a write refused outside the re-authentication window. The API
// gets better-auth's own answer to its fresh-session rule (403, code SESSION_NOT_FRESH,
// from its freshSessionMiddleware) with our snake_case error first; a page the error page.
func (h *Handler) reauthRequired(c *fiber.Ctx, err error) error {
	h.log.Info("request refused: reauthentication required", "method", c.Method(), "path", c.Path(),
		"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "error", err.Error())
	l := h.localizer(c)
	if isAPI(c) {
		return baError(c, fiber.StatusForbidden, "reauthentication_required", "SESSION_NOT_FRESH", l.T("reauth.required"))
	}
	c.Status(fiber.StatusForbidden)
	if isHTMX(c) {
		return h.fragment(c, "partials/error", fiber.Map{"L": l, "Message": l.T("reauth.required")})
	}
	return h.page(c, "pages/error", &errorPage{Layout: h.layout(c, l.T("error.title")),
		Message: l.T("reauth.required"), Status: fiber.StatusForbidden})
}
