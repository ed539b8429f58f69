package handlers

import "github.com/gofiber/fiber/v2"

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
