package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

func (h *Handler) apiListSessions(c *fiber.Ctx) error {
	cur := current(c)
	list, err := h.auth.SessionList(c.UserContext(), *cur)
	if err != nil {
		return err
	}
	live := h.auth.Live(list, *cur)
	c.Set(fiber.HeaderCacheControl, "no-store")
	key := listKey(cur, list, len(live))
	if h.lists.sendCached(c, key, fiber.MIMEApplicationJSON) {
		return nil
	}
	// Each session's JSON is encoded once per list revision, in both of its forms; a
	// request only joins the ones still live, the current one first.
	encoded := list.Memo("api", func() any { return h.encodeAPISessions(list) }).(map[string][2][]byte)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	// Appended straight into the response's pooled buffer: no body built per request.
	res := c.Response()
	res.AppendBodyString(`{"sessions":[`)
	for i, s := range live {
		if i > 0 {
			res.AppendBodyString(",")
		}
		form := 0
		if s.ID == cur.Session.ID {
			form = 1
		}
		res.AppendBody(encoded[s.ID][form])
	}
	res.AppendBodyString("]}")
	h.lists.finish(c, key)
	return nil
}

// encodeAPISessions is every session of the list as JSON, [0] as another session, [1] as
// the current one: exactly what json.Marshal makes of newAPISession's value.
func (h *Handler) encodeAPISessions(list *auth.SessionList) map[string][2][]byte {
	out := make(map[string][2][]byte, len(list.All()))
	for _, s := range list.All() {
		var forms [2][]byte
		for form, id := range []string{"", s.ID} {
			b, err := json.Marshal(h.newAPISession(s, id))
			if err != nil {
				panic(fmt.Sprintf("encode session %s: %v", s.ID, err)) // plain strings and times: cannot fail
			}
			forms[form] = b
		}
		out[s.ID] = forms
	}
	return out
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
