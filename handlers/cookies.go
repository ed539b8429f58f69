package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// cookieNames carry the __Host- prefix over https: the browser then refuses them unless
// Secure, Path=/ and host-only, so a sibling subdomain cannot plant or shadow them.
type cookieNames struct {
	session, device, lang string
	bound                 string // DBSC's short-lived bound cookie (dbsc.go)
}

func newCookieNames(baseURL string) cookieNames {
	prefix := ""
	if len(baseURL) >= 8 && baseURL[:8] == "https://" {
		prefix = "__Host-"
	}
	return cookieNames{session: prefix + "session", device: prefix + "device", lang: "lang", bound: prefix + "bound"}
}

// setCookie writes an HttpOnly, SameSite=Lax cookie for the whole site.
func (h *Handler) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		Secure:   h.secure(),
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// setSessionCookie hands the browser its secret token; it lasts as long as the session can,
// or, without "Keep me signed in", has no Max-Age and ends with the browser.
func (h *Handler) setSessionCookie(c *fiber.Ctx, token string, persistent bool) {
	maxAge := h.auth.Config().AbsoluteLifetime
	if !persistent {
		maxAge = 0 // fiber writes no Max-Age nor Expires for 0: a browser-session cookie
	}
	h.setCookie(c, h.cookies.session, token, maxAge)
	h.metrics.signIns.Inc()
}

// clearSessionCookie tells the browser to forget its token.
func (h *Handler) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: h.cookies.session, Value: "", Path: "/", MaxAge: -1,
		Expires: time.Unix(0, 0), Secure: h.secure(), HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}
