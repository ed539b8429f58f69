package handlers

import (
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// admitWait is how long a request waits for a turn before it is refused with 503 busy:
// far under the request deadline (defaultRequestTimeout), so an admitted request still has
// its time for queries, and short, because every waiting request is a goroutine (and a
// timer) the app keeps: with a 1 s wait, an open loop at 80 % of the closed-loop rate kept
// ~2,800 requests waiting, and the app spent most of its CPU in the collector. With 200 ms,
// once a burst put the server behind, so many requests waited that it spent its CPU on
// refusing them and answered only a few hundred a second until the load ended; with 20 ms
// it answers at its rate and refuses the excess (BENCHMARKS.md, "Refusing sooner").
const admitWait = 20 * time.Millisecond

// shedLogEvery spaces the warnings about refused requests: one line per interval, with
// the count, instead of a line per request while the server is overloaded.
const shedLogEvery = 10 * time.Second

// errShed answers a request refused for want of a turn: 503 busy with Retry-After, and no
// log line of its own (admit logs a count).
var errShed = &httpError{status: fiber.StatusServiceUnavailable, code: "busy", message: "error.busy"}

// admit lets at most Config.MaxInFlight requests past it at once (the ones that read the
// session, so every one that touches the database). Without it, an open-loop burst past
// the server's rate queued in the pool until requests hit their deadline inside a query;
// lib/pq ends such a connection and dials another to cancel the query, and re-preparing
// statements on the new connections cost more than the work shed, so the answered rate
// fell far below what the server could give (BENCHMARKS.md, "Open loop"). A refused
// request has done nothing: no session lookup, no write.
func (h *Handler) admit(c *fiber.Ctx) error {
	release, ok := h.admission.Acquire(c.UserContext())
	if !ok {
		h.metrics.shed.Inc()
		h.noteShed()
		setRetryAfter(c, time.Second)
		return errShed
	}
	defer release()
	return c.Next()
}

// shedLog counts refusals since the last warning, and when that warning was written.
type shedLog struct {
	count  atomic.Int64
	logged atomic.Int64 // unix nanoseconds
}

func (h *Handler) noteShed() {
	h.shed.count.Add(1)
	now, last := time.Now().UnixNano(), h.shed.logged.Load()
	if now-last < int64(shedLogEvery) || !h.shed.logged.CompareAndSwap(last, now) {
		return
	}
	n := h.shed.count.Swap(0)
	h.log.Warn("overloaded: requests refused with 503 busy", "refused", n,
		"in_flight_limit", h.admission.Size(), "wait", admitWait)
}
