package handlers

import (
	"bytes"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
)

// compress gzips the answer just built when the client takes gzip (every browser does)
// and it gets smaller: a 50-session page or list shrinks ~7-9x. (A cache of rendered pages
// and lists, keyed by the user's revision, lived here; on random users' traffic it saved
// nothing measurable: BENCHMARKS.md, "Caches".) Gzip level 1 stays the only encoding: zstd
// (klauspost, SpeedFastest) took longer on a 25 KB list, for 12 % fewer bytes
// (BENCHMARKS.md, "The list's CPU").
func compress(c *fiber.Ctx) {
	c.Append(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Response().StatusCode() != fiber.StatusOK || !c.Request().Header.HasAcceptEncoding("gzip") {
		return
	}
	if gz, ok := gzipped(c.Response().Body()); ok {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		c.Response().SetBodyRaw(gz) // a buffer of its own: no copy needed
	}
}

// gzipped is body gzipped, in a buffer of its own, and whether that made it smaller.
// Pooled buffers saved nothing on the random mix (BENCHMARKS.md, "Caches").
func gzipped(body []byte) ([]byte, bool) {
	var out bytes.Buffer
	out.Grow(len(body) / 4) // lists and pages shrink ~7-9x
	if !gzipTo(&out, body) {
		return nil, false
	}
	return out.Bytes(), true
}

// gzipWriters are reused: each holds ~1 MB of compressor state, and the pages of every
// viewer of a user expire or change together. klauspost/compress (fasthttp's own) gzips a
// 111 KB page in ~0.25 ms, the standard library's in ~0.4 ms, to the same size.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return zw
}}

// gzipTo writes b gzipped to out and reports whether that made it smaller.
func gzipTo(out *bytes.Buffer, b []byte) bool {
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(out)
	if _, err := zw.Write(b); err != nil || zw.Close() != nil || out.Len() >= len(b) {
		return false
	}
	return true
}
