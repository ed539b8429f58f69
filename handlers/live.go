package handlers

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/live"
)

// The live security stream (GET /app/settings/security/events): one per signed-in page,
// opened by htmx's SSE extension from the layout. It carries named events only; app.js
// acts on them:
//   session-ended     this session ended: data is where to go (/login?ended=...)
//   security-changed  something of the person's changed: data is "op:session id"
//   security-resync   changes may have been missed: fetch everything afresh
// A reconnect (the extension resends Last-Event-ID) starts with a resync, as the page
// missed whatever happened while it was away; so does a first connect when anything
// changed after the page was rendered (?rev=, see missedSinceRender).
// A device-bound session's stream lasts no longer than the bound cookie it was opened with:
// then the server just closes it. The extension reconnects with the cookies its browser
// holds by then: a device that renewed its bound cookie (DBSC refresh) gets a new stream,
// a copy of the cookies gets session-ended (unbound), like any request it makes.

// streamCheckTimeout bounds a stream's re-check of its session.
const streamCheckTimeout = 3 * time.Second

// securityEvents opens the stream. A request that is not signed in gets a stream of one
// session-ended event (a reconnect goes through plain fetch, which would not follow an
// HX-Redirect); past a limit, 503 and the page works as it does without JavaScript.
func (h *Handler) securityEvents(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer this answer
	cur := current(c)
	if cur == nil {
		to := "/login"
		// The cookie is left for the page it goes to: a reconnect racing this answer must
		// read the same reason, not a missing cookie.
		if q := requestEndedQuery(c); q != "" {
			to += "?" + q
		}
		c.Set(fiber.HeaderContentType, "text/event-stream")
		return c.SendString(endedEvent(to))
	}
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderContentType, "text/event-stream")
		return nil // the headers a stream would have; no stream
	}
	if h.cfg.Live == nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString("live updates are off")
	}
	sub, err := h.cfg.Live.Subscribe(cur.UserID, cur.Session.ID)
	if errors.Is(err, live.ErrLimit) || errors.Is(err, live.ErrClosed) {
		c.Set(fiber.HeaderRetryAfter, "60")
		return c.Status(fiber.StatusServiceUnavailable).SendString("too many open pages")
	}
	if err != nil {
		return err
	}
	s := &eventStream{h: h, cur: *cur, sub: sub, resync: h.missedSinceRender(c, *cur),
		boundUntil: h.auth.BoundCookieExpiry(*cur, c.Cookies(h.cookies.bound)),
		log:        h.log.With("session_id", cur.Session.ID)}
	// The stream takes the connection over (hijack) and writes its own answer: fasthttp then
	// lets go of the connection's 32 KB write buffer, its serving goroutine and the body
	// pipe a stream writer needs, which cost ~75 KB per idle stream against ~25 KB now.
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(conn net.Conn) {
		s.conn = conn
		s.run(bufio.NewWriterSize(conn, 1024))
	})
	return nil
}

// missedSinceRender says whether the stream must start with a resync: on a reconnect (the
// extension resends Last-Event-ID) the page missed whatever happened while it was away; on
// a first connect it missed what committed between its render and now, which the page's
// revision (?rev=, Layout.LiveRev) shows. Asked after subscribing, so a change after
// the answer is delivered as an event and none falls between the two. When the database
// cannot say, it resyncs: a needless refetch costs less than a missed sign-in.
func (h *Handler) missedSinceRender(c *fiber.Ctx, cur auth.Current) bool {
	if c.Get("Last-Event-ID") != "" {
		return true
	}
	rev, err := strconv.ParseInt(c.Query("rev"), 10, 64)
	if err != nil {
		return false // a page from before ?rev= existed, or a hand-made URL: as before
	}
	changed, err := h.auth.ChangedSince(c.UserContext(), cur.UserID, rev)
	if err != nil {
		h.log.Warn("live stream: revision check failed, resyncing", "session_id", cur.Session.ID, "error", err)
		return true
	}
	return changed
}

// streamHead is the stream's answer head: no length, so the body runs until the
// connection closes; never cached, nor buffered by nginx.
const streamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n" +
	"X-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"

// endedEvent tells a page its session ended and where to go.
func endedEvent(to string) string { return "event: session-ended\ndata: " + to + "\n\n" }

// eventStream is one open stream, run on its hijacked connection after the handler returned.
type eventStream struct {
	h      *Handler
	cur    auth.Current
	sub    *live.Stream
	conn   net.Conn
	resync bool
	// boundUntil is when the bound cookie the stream was opened with expires; zero for a
	// session that is not device-bound.
	boundUntil time.Time
	log        *slog.Logger
}

// run writes the stream until the session ends, the client goes (a failed Flush), or the
// hub shuts down.
func (s *eventStream) run(w *bufio.Writer) {
	defer s.sub.Close()
	hub, beatEvery := s.h.cfg.Live, s.h.cfg.Heartbeat
	// The id makes the extension send Last-Event-ID when it reconnects: then it resyncs.
	first := streamHead + ": live\nid: 1\n\n"
	if s.resync {
		first += "event: security-resync\ndata: \n\n"
	}
	if !s.write(w, first) {
		return
	}
	expires, ok := s.check(w)
	if !ok {
		return
	}
	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	expiry := time.NewTimer(s.until(expires))
	defer expiry.Stop()
	unbound := s.boundEnd()
	for {
		select {
		case <-hub.Done():
			return // shutting down: the page reconnects, through another instance if need be
		case <-unbound:
			// Not session-ended: the device may well have renewed its bound cookie, and its
			// reconnect shows which (see the top of this file).
			return
		case <-s.sub.Wake():
			if !s.deliver(w, s.sub.Take()) {
				return
			}
		case <-expiry.C:
			if expires, ok = s.check(w); !ok {
				return
			}
			expiry.Reset(s.until(expires))
		case <-beat.C:
			// A heartbeat re-checks the session: no revocation can leave a stream open,
			// even one whose notification was lost.
			if _, ok = s.check(w); !ok || !s.write(w, ": ping\n\n") {
				return
			}
		}
	}
}

// boundEnd fires when the stream's bound cookie expires; never for a session that is not
// device-bound. (Since Go 1.23 an unfired time.After is collected with its stream.)
func (s *eventStream) boundEnd() <-chan time.Time {
	if s.boundUntil.IsZero() {
		return nil
	}
	return time.After(s.until(s.boundUntil))
}

// until is how long until t by the auth clock, which sets the session's and the bound
// cookie's ends and checks them.
func (s *eventStream) until(t time.Time) time.Duration { return t.Sub(s.h.auth.Now()) }

// deliver writes a batch of events; false ends the stream.
func (s *eventStream) deliver(w *bufio.Writer, events []live.Event) bool {
	var b strings.Builder
	for _, e := range events {
		switch e.Kind {
		case live.Ended:
			// Trust the database's word only after checking it (a stale "end" after a
			// failover must not sign out a live session).
			_, ok := s.check(w)
			return ok
		case live.Resync:
			b.WriteString("event: security-resync\ndata: \n\n")
		case live.Changed:
			b.WriteString("event: security-changed\ndata: " + e.Op + ":" + e.SessionID + "\n\n")
		}
	}
	return s.write(w, b.String())
}

// check re-reads the session; when it ended, it tells the page and answers false.
func (s *eventStream) check(w *bufio.Writer) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(s.h.cfg.Live.Context(), streamCheckTimeout) // shutdown cancels it
	defer cancel()
	expires, err := s.h.auth.StillLive(ctx, s.cur)
	switch {
	case errors.Is(err, auth.ErrSessionRevoked):
		s.write(w, endedEvent("/login?"+endedQuery(err)))
		return expires, false
	case errors.Is(err, auth.ErrSignedOut):
		s.write(w, endedEvent("/login?signed_out=1"))
		return expires, false
	case errors.Is(err, auth.ErrSessionExpired):
		s.write(w, endedEvent("/login?ended=expired"))
		return expires, false
	case s.h.cfg.Live.Context().Err() != nil:
		return expires, false // shutting down
	case err != nil:
		// The database is away: keep the stream; the next heartbeat asks again.
		s.log.Warn("live stream: session check failed", "error", err)
		return time.Now().Add(s.h.cfg.Heartbeat), true
	}
	return expires, true
}

// write sends text and flushes it; a failed flush means the client went away.
func (s *eventStream) write(w *bufio.Writer, text string) bool {
	if text == "" {
		return true
	}
	if s.conn != nil {
		// A client that stopped reading must not hold the stream.
		_ = s.conn.SetWriteDeadline(time.Now().Add(2 * s.h.cfg.Heartbeat))
	}
	if _, err := w.WriteString(text); err != nil {
		return false
	}
	return w.Flush() == nil
}

// liveUpdate is what a page fetches when its stream says something changed: the same
// partials the page renders, morphed in place (so focus, and an open dialog, stay where
// they are), and a line for the live region about the session the change was about.
func (h *Handler) liveUpdate(c *fiber.Ctx) error {
	u, err := h.freshSessionsUpdate(c)
	if err != nil {
		return err
	}
	l := h.localizer(c)
	id := c.Query("session")
	switch c.Query("op") {
	case "new":
		for _, r := range u.Table.Rows {
			if r.ID == id && !r.Current {
				u.Announce = l.T("live.signed_in", "Device", r.Label)
			}
		}
	case "end":
		for _, r := range u.Activity.Ended {
			if r.ID == id {
				u.Announce = l.T("live.ended", "Device", r.Label)
			}
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.fragment(c, "partials/live_update", u)
}
