package handlers

import (
	"bytes"
	"compress/gzip"
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
const pageCacheEntries = 64 // a 50-session page is ~100 KB, ~10 KB gzipped

// renderedPage is one page as rendered and as gzipped: the page is compressed once per
// render, not once per view (a 50-session page shrinks ~10×, and writing 100 KB per view
// was most of what a cached view cost).
type renderedPage struct {
	plain, gzipped []byte
}

type pageCache struct {
	lru *expirable.LRU[string, renderedPage]
}

func newPageCache(ttl time.Duration) *pageCache {
	return &pageCache{lru: expirable.NewLRU[string, renderedPage](pageCacheEntries, nil, ttl)}
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
	p, ok := h.pages.lru.Get(key)
	if !ok {
		return false
	}
	setPageHeaders(c)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	sendPage(c, p)
	return true
}

// finishPage compresses the page just rendered and keeps it under key (unless key is "").
func (h *Handler) finishPage(c *fiber.Ctx, key string) {
	if c.Response().StatusCode() != fiber.StatusOK {
		return
	}
	p := renderedPage{plain: append([]byte(nil), c.Response().Body()...)}
	p.gzipped = gzipBytes(p.plain)
	if key != "" {
		h.pages.lru.Add(key, p)
	}
	sendPage(c, p)
}

// sendPage writes p gzipped when the client takes gzip (every browser does) and smaller
// that way, else as it is.
func sendPage(c *fiber.Ctx, p renderedPage) {
	c.Append(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if p.gzipped != nil && c.Request().Header.HasAcceptEncoding("gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		_ = c.Send(p.gzipped) // Send only stores the slice: it cannot fail
		return
	}
	_ = c.Send(p.plain)
}

// gzipBytes is b gzipped, or nil when that would not make it smaller.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level: no error
	if _, err := zw.Write(b); err != nil || zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}
