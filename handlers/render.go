package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/locale"
)

// Layout is what partials/page_start and page_end need on every page.
type Layout struct {
	L        *locale.Localizer
	AppName  string
	Title    string
	CSRF     string
	SignedIn bool
	UserName string
	Path     string
	Next     string // where the language switcher returns to
	// LiveRev is the revision of the person's security state this page shows at least; its
	// live stream sends it, and resyncs at once if anything is newer (handlers/live.go).
	LiveRev int64
}

// layout fills the layout's fields for this request.
func (h *Handler) layout(c *fiber.Ctx, title string) Layout {
	d := Layout{L: h.localizer(c), AppName: h.cfg.AppName, Title: title, CSRF: h.csrfToken(c), Path: c.Path(), Next: nextPath(c)}
	if cur := current(c); cur != nil {
		d.SignedIn, d.UserName, d.LiveRev = true, cur.Name, cur.SecurityRev
	}
	return d
}

// localizer picks the request's language once: the lang cookie, else Accept-Language.
func (h *Handler) localizer(c *fiber.Ctx) *locale.Localizer {
	if l, ok := c.Locals(keyLocalizer).(*locale.Localizer); ok {
		return l
	}
	l := h.catalog.Pick(c.Cookies(h.cookies.lang), c.Get(fiber.HeaderAcceptLanguage))
	c.Locals(keyLocalizer, l)
	return l
}

// page renders a full page; each page is composed from partials (views/engine.go says why
// there is no layout). Pages with personal data are never cached.
func (h *Handler) page(c *fiber.Ctx, name string, data any) error {
	setPageHeaders(c)
	return c.Render(name, data)
}

// setPageHeaders marks an answer personal: never stored by the browser or a proxy.
func setPageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, "Cookie, Accept-Language, HX-Request")
}

// fragment renders a partial alone, for htmx to swap in.
func (h *Handler) fragment(c *fiber.Ctx, name string, data any) error {
	setPageHeaders(c)
	return c.Render(name, data)
}
