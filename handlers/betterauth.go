package handlers

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

// The better-auth 1.x client (npm better-auth, createAuthClient) talks to these routes.
// One deliberate difference: every "token" field holds the session's public id, a
// revocation handle, never the secret cookie token. better-auth sends each device's
// secret to the browser in list-sessions (and on sign-in); a script injected into one
// page could then sign in as every other device. The client never reads the field
// itself, so handing it the public id keeps it working: revoke-session takes that id,
// and session.token from get-session matches the current row of list-sessions.

// jsTime marshals like JavaScript's Date.toJSON (UTC, milliseconds), the form
// better-auth's client turns back into Date objects (it accepts at most 7 decimals).
type jsTime time.Time

// MarshalJSON writes the time as an ISO 8601 string in UTC with milliseconds.
func (t jsTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// baUser is better-auth's User object.
type baUser struct {
	ID            string  `json:"id"`
	Email         string  `json:"email"`
	Name          string  `json:"name"`
	EmailVerified bool    `json:"emailVerified"`
	Image         *string `json:"image"`
	CreatedAt     jsTime  `json:"createdAt"`
	UpdatedAt     jsTime  `json:"updatedAt"`
}

// baSession is better-auth's Session object, plus the device fields the sessions page
// shows (better-auth plugins add fields the same way).
type baSession struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	Token      string    `json:"token"` // the public id: a handle for revoke-session, not a secret
	ExpiresAt  jsTime    `json:"expiresAt"`
	CreatedAt  jsTime    `json:"createdAt"`
	UpdatedAt  jsTime    `json:"updatedAt"`
	IPAddress  string    `json:"ipAddress"`
	UserAgent  string    `json:"userAgent"`
	Label      string    `json:"label"`
	Browser    string    `json:"browser"`
	OS         string    `json:"os"`
	DeviceType string    `json:"deviceType"`
	Location   *location `json:"location"` // of the address last seen (handlers/api.go)
	// DeviceBound is ours too, snake case like the JSON: the session is DBSC-bound.
	DeviceBound bool `json:"device_bound"`
}

func (h *Handler) newBASession(s db.Session) baSession {
	return baSession{
		ID: s.ID, UserID: s.UserID, Token: s.ID,
		ExpiresAt: jsTime(h.auth.Config().ExpiresAt(s)), CreatedAt: jsTime(s.CreatedAt),
		UpdatedAt: jsTime(s.LastSeenAt), IPAddress: s.IP, UserAgent: s.UserAgent,
		Label: s.Label, Browser: s.Browser, OS: s.OS, DeviceType: s.DeviceType,
		Location:    h.newLocation(s.LatestPlace()),
		DeviceBound: s.DeviceBound,
	}
}

// baAccount loads the signed-in person as better-auth's User object.
func (h *Handler) baAccount(c *fiber.Ctx, cur auth.Current) (baUser, error) {
	a, err := h.auth.Account(c.UserContext(), cur)
	if err != nil {
		return baUser{}, err
	}
	return baUser{ID: a.ID, Email: a.Email, Name: a.Name, EmailVerified: a.EmailVerified,
		CreatedAt: jsTime(a.CreatedAt), UpdatedAt: jsTime(a.UpdatedAt)}, nil
}

// baErrorBody is better-auth's error shape ({"code","message"}) with our {"error"} first,
// so clients of either kind read what they expect.
type baErrorBody struct {
	Error   string `json:"error"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// baError answers an error the way better-auth does, keeping our snake_case code too.
func baError(c *fiber.Ctx, status int, code, baCode, message string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(baErrorBody{Error: code, Code: baCode, Message: message})
}

// baBadBody is better-auth's answer to a body it cannot validate.
func (h *Handler) baBadBody(c *fiber.Ctx) error {
	return baError(c, fiber.StatusBadRequest, "invalid_json", "VALIDATION_ERROR", h.localizer(c).T("error.bad_request"))
}

// requireBetterAuth is requireAPI with better-auth's 401 answer.
func (h *Handler) requireBetterAuth(c *fiber.Ctx) error {
	c.Locals(keyBetterAuth, true)
	if current(c) != nil {
		return c.Next()
	}
	return baError(c, fiber.StatusUnauthorized, h.unauthenticatedCode(c), "UNAUTHORIZED", "Unauthorized")
}

// baGetSession answers the current session and user, or null when not signed in.
func (h *Handler) baGetSession(c *fiber.Ctx) error {
	cur := current(c)
	if cur == nil {
		h.clearEndedCookie(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.SendString("null")
	}
	user, err := h.baAccount(c, *cur)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.Map{"session": h.newBASession(cur.Session), "user": user})
}

// baListSessions answers the live sessions as an array, the current one first.
func (h *Handler) baListSessions(c *fiber.Ctx) error {
	rows, err := h.auth.Sessions(c.UserContext(), *current(c))
	if err != nil {
		return err
	}
	out := make([]baSession, 0, len(rows))
	for _, s := range rows {
		out = append(out, h.newBASession(s))
	}
	return sendJSON(c, out)
}

type baRevokeBody struct {
	Token *string `json:"token"`
}

// baRevokeSession ends the session whose public id is given. Like better-auth it answers
// {"status":true} for a handle that is unknown, already ended or another person's (the
// three look alike, and "make sure it is gone" is idempotent); revoking the current
// session signs out.
func (h *Handler) baRevokeSession(c *fiber.Ctx) error {
	var body baRevokeBody
	if err := decodeJSON(c, &body); err != nil || body.Token == nil || overLong(body.Token, maxHandleField) {
		return h.baBadBody(c)
	}
	cur := current(c)
	_, err := h.auth.RevokeSession(c.UserContext(), *cur, *body.Token)
	switch {
	case errors.Is(err, auth.ErrCurrentSession): // compared in canonical form: any case of the id
		return h.baSignOutCurrent(c, *cur)
	case err != nil && !errors.Is(err, auth.ErrSessionNotFound):
		return err
	}
	return sendJSON(c, fiber.Map{"status": true})
}

// baRevokeOtherSessions ends every session but the current one.
func (h *Handler) baRevokeOtherSessions(c *fiber.Ctx) error {
	if _, err := h.auth.RevokeOtherSessions(c.UserContext(), *current(c)); err != nil {
		return err
	}
	return sendJSON(c, fiber.Map{"status": true})
}

// baRevokeSessions ends every session of the person, this one included.
func (h *Handler) baRevokeSessions(c *fiber.Ctx) error {
	cur := *current(c)
	if _, err := h.auth.RevokeOtherSessions(c.UserContext(), cur); err != nil {
		return err
	}
	return h.baSignOutCurrent(c, cur)
}

func (h *Handler) baSignOutCurrent(c *fiber.Ctx, cur auth.Current) error {
	if err := h.auth.SignOut(c.UserContext(), cur); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	return sendJSON(c, fiber.Map{"status": true})
}

// baAuthAnswer is what sign-up and sign-in answer: the handle as "token", and the user.
func (h *Handler) baAuthAnswer(c *fiber.Ctx, cur auth.Current, signIn bool) error {
	user, err := h.baAccount(c, cur)
	if err != nil {
		return err
	}
	answer := fiber.Map{"token": cur.Session.ID, "user": user}
	if signIn {
		answer["redirect"] = false
	}
	return sendJSON(c, answer)
}

// baInputCode is better-auth's code for a rejected sign-up field.
func baInputCode(messageID string) string {
	switch messageID {
	case "error.email_invalid":
		return "INVALID_EMAIL"
	case "error.password_too_short":
		return "PASSWORD_TOO_SHORT"
	case "error.password_too_long":
		return "PASSWORD_TOO_LONG"
	case "error.password_common":
		return "PASSWORD_COMPROMISED"
	}
	return "VALIDATION_ERROR"
}
