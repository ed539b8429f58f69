package handlers

import (
	"bytes"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
)

// compress gzips the answer just built when the client takes gzip (every browser does)
// and it gets smaller: a 50-session page or list shrinks ~9x. (A cache of rendered pages
// and lists, keyed by the user's revision, lived here; on random users' traffic it saved
// nothing measurable: BENCHMARKS.md, "Caches".)
func compress(c *fiber.Ctx) {
	c.Append(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Response().StatusCode() != fiber.StatusOK || !c.Request().Header.HasAcceptEncoding("gzip") {
		return
	}
	if gz := gzipBytes(c.Response().Body()); gz != nil {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		_ = c.Send(gz) // Send only stores the slice: it cannot fail
	}
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
