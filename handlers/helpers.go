package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// Small request helpers that several features share.

// client describes the device making the request, for a new session.
func client(c *fiber.Ctx) auth.Client {
	return auth.Client{UserAgent: c.Get(fiber.HeaderUserAgent), IP: clientIP(c)}
}

// signInClient is client(c) plus the browser's device id, which decides "new device".
func (h *Handler) signInClient(c *fiber.Ctx) auth.Client {
	cl := client(c)
	cl.DeviceID = h.deviceID(c)
	cl.Lang = h.localizer(c).Lang()
	return cl
}

// isHTMX reports whether htmx made the request (it then wants a fragment).
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// isAPI reports whether the request is for the JSON API.
func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// setRetryAfter tells a refused client how many seconds to wait.
func setRetryAfter(c *fiber.Ctx, wait time.Duration) {
	secs := int(wait.Seconds() + 0.999)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
}
