package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/dbsc"
)

// Device Bound Session Credentials: the wire format is package dbsc, the rules are in
// auth (binding.go); here are the two endpoints Chrome calls by itself, with the page's
// cookies, and the sign-in's invitation.
const (
	dbscRegisterPath = "/dbsc/register"
	dbscRefreshPath  = "/dbsc/refresh"
	// boundCookieAttributes are the bound cookie's attributes, in the session config and in
	// its Set-Cookie alike, byte for byte (Chrome matches the two).
	boundCookieAttributes = "Path=/; Secure; HttpOnly; SameSite=Lax"
)

// isDBSCPath is a request of Chrome's DBSC machinery: it comes without a usable Origin
// (exempt from the cross-origin check) and, for a refresh, without the bound cookie it is
// there to renew (exempt from the binding check). Both still need the session cookie.
func isDBSCPath(c *fiber.Ctx) bool {
	p := c.Path()
	return p == dbscRegisterPath || p == dbscRefreshPath
}

// inviteBinding adds Secure-Session-Registration to a page sign-in's answer, with a
// challenge issued to the new session. Without it the session stays an ordinary one.
func (h *Handler) inviteBinding(c *fiber.Ctx, sessionID string) {
	if !h.dbscEnabled() {
		return
	}
	c.Set(dbsc.HeaderRegistration, dbsc.RegistrationHeader(dbscRegisterPath, h.auth.RegistrationChallenge(sessionID)))
}

// dbscRegister binds the current session to the key of the proof Chrome sends.
func (h *Handler) dbscRegister(c *fiber.Ctx) error {
	cur := current(c)
	if cur == nil || !h.dbscEnabled() {
		return dbscEnd(c)
	}
	err := h.auth.Bind(c.UserContext(), *cur, c.Get(dbsc.HeaderResponse), clientIP(c))
	switch {
	case errors.Is(err, auth.ErrBindingRateLimit):
		return apiError(c, fiber.StatusTooManyRequests, "rate_limited", "")
	case errors.Is(err, auth.ErrProofRefused), errors.Is(err, auth.ErrStaleChallenge):
		h.log.Warn("dbsc registration refused", "session_id", cur.Session.ID, "reason", err.Error())
		return apiError(c, fiber.StatusBadRequest, "dbsc_refused", "")
	case err != nil:
		return err
	}
	return h.sendBinding(c, cur.Session.ID)
}

// dbscRefresh renews the bound cookie: a first call gets a challenge (403), the retry
// signs it with the key stored at registration. A session that is revoked, expired,
// unknown or not bound gets an answer that ends the browser's DBSC session, and so does a
// failed proof: Chrome takes any 4xx but a 403 with a challenge as the end (a 429 too),
// so a device's own refresh is answered only 200, 403 or, when we fail, 5xx.
func (h *Handler) dbscRefresh(c *fiber.Ctx) error {
	cur := current(c)
	if cur == nil || !cur.Session.DeviceBound || dbsc.SessionID(c.Get(dbsc.HeaderSessionID)) != cur.Session.ID {
		return dbscEnd(c)
	}
	proof := c.Get(dbsc.HeaderResponse)
	if proof == "" {
		return h.dbscChallenge(c, cur.Session.ID)
	}
	err := h.auth.RefreshBinding(c.UserContext(), *cur, proof, clientIP(c))
	switch {
	case errors.Is(err, auth.ErrBindingRateLimit):
		return apiError(c, fiber.StatusTooManyRequests, "rate_limited", "") // failed proofs only, not logged each
	case errors.Is(err, auth.ErrStaleChallenge):
		return h.dbscChallenge(c, cur.Session.ID) // signed by the device's key: sign a new one
	case errors.Is(err, auth.ErrProofRefused):
		h.log.Warn("dbsc refresh refused", "session_id", cur.Session.ID, "reason", err.Error())
		return dbscEnd(c)
	case err != nil:
		return err
	}
	return h.sendBinding(c, cur.Session.ID)
}

// dbscChallenge is the 403 that makes Chrome sign a new challenge and retry at once. It
// is never limited: issuing a challenge stores nothing (auth/binding_challenge.go).
func (h *Handler) dbscChallenge(c *fiber.Ctx, sessionID string) error {
	c.Set(dbsc.HeaderChallenge, dbsc.ChallengeHeader(h.auth.RefreshChallenge(sessionID), sessionID))
	return apiError(c, fiber.StatusForbidden, "dbsc_challenge", "")
}

// sendBinding answers a good proof: a fresh bound cookie and the session config naming it.
func (h *Handler) sendBinding(c *fiber.Ctx, sessionID string) error {
	ttl := int(h.auth.Config().BoundCookieTTL.Seconds())
	// Written by hand, not with c.Cookie, so the attributes are the config's very bytes.
	c.Append(fiber.HeaderSetCookie, h.cookies.bound+"="+h.auth.BoundCookie(sessionID)+
		"; Max-Age="+strconv.Itoa(ttl)+"; "+boundCookieAttributes)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(dbsc.Config(sessionID, dbscRefreshPath, h.cookies.bound, boundCookieAttributes))
}

// dbscEnd is a 401 with "continue": false: a 4xx other than 403 ends the browser's DBSC
// session (spec, "refresh a session"), and the body says so too for any other reader.
func dbscEnd(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusUnauthorized).Send(dbsc.Terminate())
}
