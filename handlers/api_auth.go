package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

type signUpBody struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	// Sent by better-auth's client and not used: a sign-up always keeps the person signed
	// in, keeps no picture and never redirects.
	RememberMe  *bool   `json:"rememberMe"`
	Image       *string `json:"image"`
	CallbackURL *string `json:"callbackURL"`
}

func (h *Handler) apiSignUp(c *fiber.Ctx) error {
	var body signUpBody
	if err := decodeJSON(c, &body); err != nil || overLong(body.Image, maxURLField) || overLong(body.CallbackURL, maxURLField) {
		return h.baBadBody(c)
	}
	cur, token, err := h.auth.SignUp(c.UserContext(), body.Name, body.Email, body.Password, h.signInClient(c))
	var inputErr *auth.InputError
	var tooMany *auth.TooManyAttemptsError
	switch {
	case errors.As(err, &tooMany):
		return h.baTooMany(c, tooMany)
	case errors.As(err, &inputErr):
		l := h.localizer(c)
		return baError(c, fiber.StatusBadRequest, "invalid_"+inputErr.Field, baInputCode(inputErr.Code),
			l.T(inputErr.Code, "Min", auth.MinPasswordLength))
	case errors.Is(err, auth.ErrEmailTaken):
		return baError(c, fiber.StatusUnprocessableEntity, "email_taken", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
			h.localizer(c).T("error.email_taken"))
	case err != nil:
		return err
	}
	h.setSessionCookie(c, token, true)
	return h.baAuthAnswer(c, cur, false)
}

type signInBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// RememberMe is better-auth's "Keep me signed in"; missing means true, as there.
	RememberMe *bool `json:"rememberMe"`
	// CallbackURL is sent by better-auth's client; this route never redirects.
	CallbackURL *string `json:"callbackURL"`
}

func (h *Handler) apiSignIn(c *fiber.Ctx) error {
	var body signInBody
	if err := decodeJSON(c, &body); err != nil || overLong(body.CallbackURL, maxURLField) {
		return h.baBadBody(c)
	}
	if body.Email == "" {
		return baError(c, fiber.StatusBadRequest, "invalid_email", "INVALID_EMAIL", h.localizer(c).T("error.email_invalid"))
	}
	if !passwordShaped(body.Password) {
		return h.baBadPassword(c, body.Password)
	}
	cl := h.signInClient(c)
	cl.ForgetOnClose = body.RememberMe != nil && !*body.RememberMe
	cur, token, err := h.auth.SignIn(c.UserContext(), body.Email, body.Password, cl)
	var tooMany *auth.TooManyAttemptsError
	var inputErr *auth.InputError
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return baError(c, fiber.StatusUnauthorized, "invalid_credentials", "INVALID_EMAIL_OR_PASSWORD",
			h.localizer(c).T("error.invalid_credentials"))
	case errors.Is(err, auth.ErrEmailUnverified): // better-auth's requireEmailVerification answer
		return baError(c, fiber.StatusForbidden, "email_not_verified", "EMAIL_NOT_VERIFIED", h.localizer(c).T("error.email_unverified"))
	case errors.As(err, &inputErr):
		return h.baInvalid(c, inputErr)
	case errors.As(err, &tooMany):
		return h.baTooMany(c, tooMany)
	case err != nil:
		return err
	}
	h.setSessionCookie(c, token, cur.Session.Persistent)
	return h.baAuthAnswer(c, cur, true)
}

// apiSignOut ends the current session; like better-auth it answers success without one.
func (h *Handler) apiSignOut(c *fiber.Ctx) error {
	if cur := current(c); cur != nil {
		if err := h.auth.SignOut(c.UserContext(), *cur); err != nil {
			return err
		}
	}
	h.clearSessionCookie(c)
	return sendJSON(c, fiber.Map{"success": true})
}

// baBadPassword answers a password field that no password can be (missing, or longer
// than any the app accepts), before an attempt is counted.
func (h *Handler) baBadPassword(c *fiber.Ctx, password string) error {
	code := "VALIDATION_ERROR"
	if password != "" {
		code = "PASSWORD_TOO_LONG"
	}
	return baError(c, fiber.StatusBadRequest, "invalid_password", code, h.localizer(c).T("error.bad_request"))
}
