package handlers

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

func (h *Handler) apiListSessions(c *fiber.Ctx) error {
	cur := current(c)
	rows, err := h.auth.Sessions(c.UserContext(), *cur)
	if err != nil {
		return err
	}
	b := sessionListJSON(len(rows), func(i int) apiSession { return h.newAPISession(rows[i], cur.Session.ID) })
	sendJSONBytes(c, b)
	compress(c)
	return nil
}

func (h *Handler) apiRevokeSession(c *fiber.Ctx) error {
	_, err := h.auth.RevokeSession(c.UserContext(), *current(c), c.Params("id"))
	switch {
	case errors.Is(err, auth.ErrSessionNotFound):
		return apiError(c, fiber.StatusNotFound, "session_not_found", "")
	case errors.Is(err, auth.ErrCurrentSession):
		return apiError(c, fiber.StatusConflict, "current_session", h.localizer(c).T("error.current_session"))
	case err != nil:
		return err
	}
	h.countRevoked(1)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) apiRevokeOtherSessions(c *fiber.Ctx) error {
	ended, err := h.auth.RevokeOtherSessions(c.UserContext(), *current(c))
	if err != nil {
		return err
	}
	h.countRevoked(len(ended))
	return sendJSON(c, fiber.Map{"revoked": len(ended)})
}

type apiStatus struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	RevokedAt *time.Time `json:"revoked_at"`
}

func (h *Handler) apiSessionStatus(c *fiber.Ctx) error {
	st, err := h.auth.Status(c.UserContext(), *current(c), c.Params("id"))
	if errors.Is(err, auth.ErrSessionNotFound) {
		return apiError(c, fiber.StatusNotFound, "session_not_found", "")
	}
	if err != nil {
		return err
	}
	if st.RevokedAt != nil {
		t := st.RevokedAt.UTC()
		st.RevokedAt = &t
	}
	return sendJSON(c, apiStatus{ID: st.ID, Status: st.Status, RevokedAt: st.RevokedAt})
}

func (h *Handler) apiCurrentSession(c *fiber.Ctx) error {
	cur := current(c)
	return sendJSON(c, h.newAPISession(cur.Session, cur.Session.ID))
}
