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
}

func (h *Handler) apiSignUp(c *fiber.Ctx) error {
	var body signUpBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cur, token, err := h.auth.SignUp(c.UserContext(), body.Name, body.Email, body.Password, client(c))
	var inputErr *auth.InputError
	switch {
	case errors.As(err, &inputErr):
		l := h.localizer(c)
		return apiError(c, fiber.StatusUnprocessableEntity, "invalid_"+inputErr.Field,
			l.T(inputErr.Code, "Min", auth.MinPasswordLength))
	case errors.Is(err, auth.ErrEmailTaken):
		return apiError(c, fiber.StatusUnprocessableEntity, "email_taken", h.localizer(c).T("error.email_taken"))
	case err != nil:
		return err
	}
	h.setSessionCookie(c, token)
	return sendJSON(c, fiber.Map{"user": apiUser{ID: cur.UserID, Email: cur.Email, Name: cur.Name}})
}

type signInBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *Handler) apiSignIn(c *fiber.Ctx) error {
	var body signInBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cur, token, err := h.auth.SignIn(c.UserContext(), body.Email, body.Password, client(c))
	if errors.Is(err, auth.ErrInvalidCredentials) {
		return apiError(c, fiber.StatusUnauthorized, "invalid_credentials", "")
	}
	if err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	return sendJSON(c, fiber.Map{"user": apiUser{ID: cur.UserID, Email: cur.Email, Name: cur.Name}})
}

func (h *Handler) apiSignOut(c *fiber.Ctx) error {
	if err := h.auth.SignOut(c.UserContext(), *current(c)); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	return sendJSON(c, fiber.Map{"success": true})
}
