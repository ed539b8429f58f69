package handlers

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/klauspost/compress/gzip"

	"github.com/docodego/sessions/auth"
)

// The security page and the JSON session list are built once and served from memory while
// nothing they show has changed: their keys hold the user's security revision (sessions,
// notices and audit events all move it, on any instance), so a revoke, sign-in or dismissed
// notice anywhere makes the next view build afresh. The short TTL (auth.Config.ViewCacheTTL,
// 10 s) keeps relative times ("5 minutes ago"), "last active" and the time-windowed
// sections true to within seconds. Answers are personal: keys also hold the viewing
// session, and the answer is still no-store for the browser.
const (
	pageCacheEntries = 64  // a 50-session page is ~111 KB, ~10 KB gzipped
	listCacheEntries = 128 // a 50-session JSON list is ~21 KB, ~3 KB gzipped
)

// renderedAnswer is one answer's body as built and as gzipped: it is compressed once per
// build, not once per view (a 50-session page shrinks ~9×, and writing 111 KB per view was
// most of what a cached view cost).
type renderedAnswer struct {
	plain, gzipped []byte
}

type answerCache struct {
	lru *expirable.LRU[string, renderedAnswer]
}

func newAnswerCache(entries int, ttl time.Duration) *answerCache {
	return &answerCache{lru: expirable.NewLRU[string, renderedAnswer](entries, nil, ttl)}
}

// pageKey is the cache key of this request's view of a page, or "" when the view must not
// be cached: not a plain GET (a failed form re-renders the page with its errors), unknown
// revision (the request wrote), a query string, or an htmx request. It holds the language
// and the CSRF token the page shows too.
func (h *Handler) pageKey(c *fiber.Ctx, name string) string {
	cur := current(c)
	if c.Method() != fiber.MethodGet || cur == nil || cur.Rev == 0 ||
		len(c.Request().URI().QueryString()) > 0 || isHTMX(c) {
		return ""
	}
	return strings.Join([]string{name, cur.UserID, strconv.FormatInt(cur.Rev, 10), cur.Session.ID,
		h.localizer(c).Lang(), h.csrfToken(c), c.Path(), cur.Name}, "\x00")
}

// listKey is the cache key of the JSON list of list's live sessions as the current session
// sees them, or "" for a list of unknown revision. Within one revision the live sessions
// only ever lose the ones that expire, so their count tells which of them are left.
func listKey(cur *auth.Current, list *auth.SessionList, live int) string {
	if list.Rev == 0 {
		return ""
	}
	return strings.Join([]string{cur.UserID, strconv.FormatInt(list.Rev, 10), cur.Session.ID, strconv.Itoa(live)}, "\x00")
}

// sendCached answers with the body stored under key, if there is one; the caller has set
// every header but the content's type and encoding.
func (a *answerCache) sendCached(c *fiber.Ctx, key, contentType string) bool {
	if key == "" {
		return false
	}
	p, ok := a.lru.Get(key)
	if !ok {
		return false
	}
	c.Set(fiber.HeaderContentType, contentType)
	sendAnswer(c, p)
	return true
}

// finish compresses the answer just built and keeps it under key (unless key is "").
func (a *answerCache) finish(c *fiber.Ctx, key string) {
	if c.Response().StatusCode() != fiber.StatusOK {
		return
	}
	p := renderedAnswer{plain: append([]byte(nil), c.Response().Body()...)}
	p.gzipped = gzipBytes(p.plain)
	if key != "" {
		a.lru.Add(key, p)
	}
	sendAnswer(c, p)
}

// sendAnswer writes p gzipped when the client takes gzip (every browser does) and smaller
// that way, else as it is.
func sendAnswer(c *fiber.Ctx, p renderedAnswer) {
	c.Append(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if p.gzipped != nil && c.Request().Header.HasAcceptEncoding("gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		_ = c.Send(p.gzipped) // Send only stores the slice: it cannot fail
		return
	}
	_ = c.Send(p.plain)
}

// gzipWriters are reused: each holds ~1 MB of compressor state, and the pages of every
// viewer of a user expire or change together. klauspost/compress (fasthttp's own) gzips a
// 111 KB page in ~0.25 ms, the standard library's in ~0.4 ms, to the same size.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return zw
}}

// gzipBytes is b gzipped, or nil when that would not make it smaller.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil || zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}
