package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// secureQuestionFor is "Not you? Secure your account" about the route's :id, in the
// shared confirm question; false when it is not another of the caller's live sessions.
func (h *Handler) secureQuestionFor(c *fiber.Ctx) (confirmQuestion, bool, error) {
	q, ok, err := h.revokeQuestionFor(c)
	if !ok || err != nil {
		return q, ok, err
	}
	l := q.L
	q.Title, q.Confirm = l.T("secure.title"), l.T("secure.confirm")
	q.Body = l.T("secure.body", "Device", q.Row.Label)
	q.Action = sessionsPath + q.Row.ID + "/secure"
	q.Secure = true
	return q, true, nil
}

// confirmSecure asks whether to secure the account (page, or the dialog's question).
func (h *Handler) confirmSecure(c *fiber.Ctx) error {
	q, ok, err := h.secureQuestionFor(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.staleConfirm(c)
	}
	return h.confirm(c, q)
}

// secureAccount ends that session and every other but this one and forgets its device,
// in one transaction, then leads to the change-password form with what was done.
func (h *Handler) secureAccount(c *fiber.Ctx) error {
	if done, err := h.proveFromForm(c, h.secureQuestionFor); done {
		return err
	}
	n, err := h.auth.SecureAccount(c.UserContext(), *current(c), c.Params("id"))
	switch {
	case errors.Is(err, auth.ErrReauthRequired):
		return h.askPassword(c, h.secureQuestionFor, "")
	case errors.Is(err, auth.ErrSessionNotFound), errors.Is(err, auth.ErrCurrentSession):
		return h.staleConfirm(c)
	case err != nil:
		return err
	}
	h.countRevoked(n)
	// No #fragment: a fragment target cancels the field's autofocus in browsers, and the
	// field, described by what was done, is where the person goes next.
	to := securityPath + "?done=secured&n=" + strconv.Itoa(n)
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}
