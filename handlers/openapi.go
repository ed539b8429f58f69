package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/api"
)

// openAPIJSON is the OpenAPI document as served; built once, since the document is
// embedded and a test holds it valid (a broken one is a build fault, like a bad regexp).
func openAPIJSON() []byte {
	b, err := api.JSON()
	if err != nil {
		panic(err)
	}
	return b
}

// openAPIDocument is GET /api/openapi.json: the contract of every JSON route.
func (h *Handler) openAPIDocument(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	c.Response().SetBody(h.openapi)
	compress(c)
	return nil
}
