package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The CSRF token is an HMAC of the browser's device id under a key every instance shares:
// stateless (any instance verifies it), bound to one browser, and usable before sign-in
// (the sign-in form needs one too). It backs up the Sec-Fetch-Site/Origin check.

const deviceIDBytes = 16

var deviceIDLen = base64.RawURLEncoding.EncodedLen(deviceIDBytes)

// deviceID returns the browser's long-lived random id, setting the cookie when missing.
func (h *Handler) deviceID(c *fiber.Ctx) string {
	if id, ok := c.Locals(keyDevice).(string); ok {
		return id
	}
	id := c.Cookies(h.cookies.device)
	if len(id) != deviceIDLen {
		raw := make([]byte, deviceIDBytes)
		_, _ = rand.Read(raw) // crypto/rand never fails on Linux; a zero id still works
		id = base64.RawURLEncoding.EncodeToString(raw)
		h.setCookie(c, h.cookies.device, id, 400*24*time.Hour)
	}
	c.Locals(keyDevice, id)
	return id
}

// csrfToken is the token forms and htmx requests must send back.
func (h *Handler) csrfToken(c *fiber.Ctx) string {
	return h.csrfFor(h.deviceID(c))
}

func (h *Handler) csrfFor(deviceID string) string {
	mac := hmac.New(sha256.New, h.cfg.CSRFKey)
	mac.Write([]byte("csrf\x00" + deviceID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF refuses a form or htmx request whose token (body field _csrf or header
// X-CSRF-Token) does not match this browser's device id.
func (h *Handler) checkCSRF(c *fiber.Ctx) error {
	if !h.validCSRF(c) {
		return errBadCSRF
	}
	return c.Next()
}

// validCSRF reports whether the request carries this browser's CSRF token.
func (h *Handler) validCSRF(c *fiber.Ctx) bool {
	id := c.Cookies(h.cookies.device)
	sent := c.Get("X-CSRF-Token")
	if sent == "" {
		sent = formValue(c, "_csrf")
	}
	return len(id) == deviceIDLen && sent != "" && hmac.Equal([]byte(sent), []byte(h.csrfFor(id)))
}
