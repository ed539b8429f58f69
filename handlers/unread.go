package handlers

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// A request the server could not read (a TLS handshake that failed or was dropped, bytes
// that are not HTTP, headers or a body past the limits, a client too slow to send) is the
// client's fault, and anyone can cause as many as they like: it is logged at INFO with a
// reason and counted (sessions_http_unread_requests_total), never at ERROR, which is for
// our faults. Fiber turns such errors into answers by itself (a network error became 502);
// catchUnread marks them first, so the one ErrorHandler can tell.

// catchUnread wraps the server's handler of unread requests to mark them with a reason.
func (h *Handler) catchUnread(app *fiber.App) {
	srv := app.Server()
	fiberHandler := srv.ErrorHandler
	srv.ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		mark := unread{reason: unreadReason(err), err: err.Error()}
		h.metrics.unread.WithLabelValues(mark.reason).Inc()
		fctx.SetUserValue(keyUnread, mark)
		fiberHandler(fctx, err)
	}
}

// unreadReason names what was wrong with a request the server could not read.
func unreadReason(err error) string {
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &recordErr), errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		return "tls_handshake"
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return "headers_too_large"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "body_too_large"
	case errors.As(err, &netErr) && netErr.Timeout(), strings.Contains(err.Error(), "timeout"):
		return "timeout"
	case errors.As(err, &netErr):
		return "connection"
	}
	return "malformed"
}

// unread is why the server could not read a request: a reason, and the error as the
// server saw it (fiber passes on only its own, such as "Bad Gateway").
type unread struct{ reason, err string }

// unreadRequest is why the request could not be read; a zero reason for one that was.
func unreadRequest(c *fiber.Ctx) unread {
	u, _ := c.Locals(keyUnread).(unread)
	return u
}
