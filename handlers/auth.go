package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

const securityPath = "/app/settings/security"

func (h *Handler) home(c *fiber.Ctx) error {
	if current(c) != nil {
		return c.Redirect(securityPath, fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (h *Handler) loginPage(c *fiber.Ctx) error {
	if current(c) != nil {
		return c.Redirect(securityPath, fiber.StatusSeeOther)
	}
	h.clearEndedCookie(c) // left by the page or fragment that sent the browser here (requirePage)
	l := h.localizer(c)
	p := &authPage{Layout: h.layout(c, l.T("login.title")), ReturnTo: safeNext(c.Query("next")),
		RememberOffered: h.auth.Config().RememberOffered}
	if p.ReturnTo != "" {
		p.Notice = l.T("login.continue")
	}
	switch c.Query("ended") {
	case "revoked":
		p.Notice = l.T("login.ended_revoked")
	case "expired":
		p.Notice = l.T("login.ended_expired")
	case "unbound":
		p.Notice = l.T("login.ended_unbound")
	case "limit":
		p.Notice = l.T("login.ended_limit")
	case "policy":
		p.Notice = l.T("login.ended_policy")
	case "admin":
		p.Notice = adminEndedText(l, c.Query("reason"))
	}
	if c.Query("signed_out") == "1" {
		p.Notice = l.T("login.signed_out")
	}
	return h.page(c, "pages/login", p)
}

func (h *Handler) login(c *fiber.Ctx) error {
	email, password := formValue(c, "email"), formValue(c, "password")
	cl := h.signInClient(c)
	// The form says it has the box (remember_box), so an unchecked box is told apart from
	// an older form without one, which keeps people signed in as before.
	cl.ForgetOnClose = formValue(c, "remember_box") != "" && formValue(c, "remember") == ""
	cur, token, err := h.auth.SignIn(c.UserContext(), email, password, cl)
	status, message, field := 0, "", "password"
	var tooMany *auth.TooManyAttemptsError
	var inputErr *auth.InputError
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		status, message = fiber.StatusUnauthorized, "error.invalid_credentials"
	case errors.Is(err, auth.ErrEmailUnverified):
		status, message, field = fiber.StatusForbidden, "error.email_unverified", "email"
	case errors.As(err, &inputErr):
		status, message, field = fiber.StatusUnprocessableEntity, inputErr.Code, inputErr.Field
	case errors.As(err, &tooMany):
		status, message = fiber.StatusTooManyRequests, "error.rate_limited"
		setRetryAfter(c, tooMany.RetryAfter)
	case err != nil:
		return err
	}
	if status != 0 {
		l := h.localizer(c)
		c.Status(status)
		return h.page(c, "pages/login", &authPage{
			Layout: h.layout(c, l.T("login.title")), Email: echoText(email),
			Error: l.T(message), Field: field, Forget: cl.ForgetOnClose, ReturnTo: safeNext(formValue(c, "next")),
			RememberOffered: h.auth.Config().RememberOffered,
		})
	}
	h.setSessionCookie(c, token, cur.Session.Persistent)
	h.inviteBinding(c, cur.Session.ID)
	to := securityPath
	if next := safeNext(formValue(c, "next")); next != "" {
		to = next // the mail's link, read signed out
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (h *Handler) signupPage(c *fiber.Ctx) error {
	if current(c) != nil {
		return c.Redirect(securityPath, fiber.StatusSeeOther)
	}
	l := h.localizer(c)
	return h.page(c, "pages/signup", &authPage{Layout: h.layout(c, l.T("signup.title"))})
}

func (h *Handler) signup(c *fiber.Ctx) error {
	name, email, password := formValue(c, "name"), formValue(c, "email"), formValue(c, "password")
	cur, token, err := h.auth.SignUp(c.UserContext(), name, email, password, h.signInClient(c))
	var inputErr *auth.InputError
	var tooMany *auth.TooManyAttemptsError
	status, message, field := fiber.StatusUnprocessableEntity, "", ""
	switch {
	case errors.As(err, &inputErr):
		message, field = inputErr.Code, inputErr.Field
	case errors.Is(err, auth.ErrEmailTaken):
		message, field = "error.email_taken", "email"
	case errors.As(err, &tooMany):
		status, message = fiber.StatusTooManyRequests, "error.rate_limited"
		setRetryAfter(c, tooMany.RetryAfter)
	case err != nil:
		return err
	}
	if message != "" {
		l := h.localizer(c)
		c.Status(status)
		return h.page(c, "pages/signup", &authPage{
			Layout: h.layout(c, l.T("signup.title")), Name: echoText(name), Email: echoText(email),
			Error: l.T(message, "Min", auth.MinPasswordLength), Field: field,
		})
	}
	h.setSessionCookie(c, token, true)
	h.inviteBinding(c, cur.Session.ID)
	return c.Redirect(securityPath, fiber.StatusSeeOther)
}

func (h *Handler) logout(c *fiber.Ctx) error {
	if err := h.auth.SignOut(c.UserContext(), *current(c)); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	return c.Redirect("/login?signed_out=1", fiber.StatusSeeOther)
}
