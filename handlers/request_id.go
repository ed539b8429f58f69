package handlers

import "github.com/gofiber/fiber/v2"

// maxRequestID bounds a request id taken from a proxy (nginx's $request_id is 32 hex
// digits, a UUID 36 characters).
const maxRequestID = 64

// dropUnsafeRequestID keeps an incoming X-Request-ID only when it is a plain token of
// letters, digits and dashes; otherwise requestid makes a fresh one. The id is echoed
// in the response header and written to every log line, so nothing else may pass.
func dropUnsafeRequestID(c *fiber.Ctx) error {
	if id := c.Get(fiber.HeaderXRequestID); id != "" && !plainToken(id, maxRequestID) {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}

// plainToken reports whether s is 1 to max ASCII letters, digits and dashes.
func plainToken(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}
