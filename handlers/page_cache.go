package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// The security page is rendered once and served from memory while nothing it shows has
// changed: its key holds the user's security revision from this request's own token
// lookup (sessions, notices and audit events all move it, on any instance), so a revoke,
// sign-in or dismissed notice anywhere makes the next view render afresh. The short TTL
// (auth.Config.ViewCacheTTL, 10 s) keeps relative times ("5 minutes ago"), "last active"
// and the time-windowed sections true to within seconds. Pages are personal: the key also
// holds the viewing session, its CSRF token and the language, and the answer is still
// no-store for the browser.
const pageCacheEntries = 64 // a 50-session page is ~100 KB

type pageCache struct {
	lru *expirable.LRU[string, []byte]
}

func newPageCache(ttl time.Duration) *pageCache {
	return &pageCache{lru: expirable.NewLRU[string, []byte](pageCacheEntries, nil, ttl)}
}

// pageKey is the cache key of this request's view of a page, or "" when the view must not
// be cached: not a plain GET (a failed form re-renders the page with its errors), unknown
// revision (the request wrote), a query string, or an htmx request.
func (h *Handler) pageKey(c *fiber.Ctx, name string) string {
	cur := current(c)
	if c.Method() != fiber.MethodGet || cur == nil || cur.Rev == 0 ||
		len(c.Request().URI().QueryString()) > 0 || isHTMX(c) {
		return ""
	}
	return strings.Join([]string{name, cur.UserID, strconv.FormatInt(cur.Rev, 10), cur.Session.ID,
		h.localizer(c).Lang(), h.csrfToken(c), c.Path(), cur.Name}, "\x00")
}

// sendCachedPage answers with the page stored under key, if there is one.
func (h *Handler) sendCachedPage(c *fiber.Ctx, key string) bool {
	if key == "" {
		return false
	}
	body, ok := h.pages.lru.Get(key)
	if !ok {
		return false
	}
	setPageHeaders(c)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	_ = c.Send(body) // Send only stores the slice: it cannot fail
	return true
}

// cachePage keeps the page just rendered under key.
func (h *Handler) cachePage(c *fiber.Ctx, key string) {
	if key == "" || c.Response().StatusCode() != fiber.StatusOK {
		return
	}
	h.pages.lru.Add(key, append([]byte(nil), c.Response().Body()...))
}
