package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// formValue is a field of the request body (urlencoded or multipart), never of the URL.
// Fiber's FormValue reads the query string first: a link could then carry a CSRF token,
// and a password would land in access logs and Referer headers.
func formValue(c *fiber.Ctx, key string) string {
	if v := c.Request().PostArgs().Peek(key); v != nil {
		return string(v)
	}
	if form, err := c.MultipartForm(); err == nil && len(form.Value[key]) > 0 {
		return form.Value[key][0]
	}
	return ""
}

// echoText is a refused field's value as the form shows it again: invalid UTF-8 would make
// the page itself invalid.
func echoText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
