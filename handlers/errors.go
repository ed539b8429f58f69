package handlers

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

// httpError is an answer with a status, an API error code and a message id for people.
type httpError struct {
	status  int
	code    string // JSON "error" value
	message string // catalog id of the plain-words message
}

func (e *httpError) Error() string { return e.code }

var (
	errForbiddenCrossSite = &httpError{fiber.StatusForbidden, "cross_site_request", "error.cross_site"}
	errBadCSRF            = &httpError{fiber.StatusForbidden, "csrf_token_invalid", "error.csrf"}
	errNotFound           = &httpError{fiber.StatusNotFound, "not_found", "error.not_found"}
	errNotJSON            = &httpError{fiber.StatusUnsupportedMediaType, "unsupported_media_type", "error.bad_request"}
)

// authAnswers are the answers to the auth package's errors that mean "no" to a client, for
// a route that lets one through: a known refusal is a 4xx, never a 500.
var authAnswers = []struct {
	err    error
	answer *httpError
}{
	{auth.ErrSessionNotFound, &httpError{fiber.StatusNotFound, "session_not_found", "error.not_found"}},
	{auth.ErrUserNotFound, &httpError{fiber.StatusNotFound, "user_not_found", "error.not_found"}},
	{auth.ErrNoticeNotFound, &httpError{fiber.StatusNotFound, "not_found", "error.not_found"}},
	{auth.ErrCurrentSession, &httpError{fiber.StatusConflict, "current_session", "error.current_session"}},
	{auth.ErrBadCursor, &httpError{fiber.StatusBadRequest, "bad_cursor", "error.bad_request"}},
	{auth.ErrInvalidCredentials, &httpError{fiber.StatusUnauthorized, "invalid_credentials", "error.invalid_credentials"}},
	{auth.ErrEmailTaken, &httpError{fiber.StatusConflict, "email_taken", "error.email_taken"}},
}

// authAnswer is the answer to a known auth refusal, or nil.
func authAnswer(err error) *httpError {
	for _, a := range authAnswers {
		if errors.Is(err, a.err) {
			return a.answer
		}
	}
	var in *auth.InputError
	if errors.As(err, &in) {
		return &httpError{fiber.StatusUnprocessableEntity, "invalid_" + in.Field, in.Code}
	}
	return nil
}

// sessionEnded answers a write whose acting session ended while it ran (revoked by a
// racing request, found inside the write's transaction): exactly as if the request had
// come in with the ended cookie, 401 session_revoked for the API, the sign-in page with
// the "ended" message for pages and htmx.
func (h *Handler) sessionEnded(c *fiber.Ctx, err error) error {
	h.log.Info("request refused: acting session ended", "method", c.Method(), "path", c.Path(),
		"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "error", err.Error())
	c.Locals(keyCurrent, nil)
	c.Locals(keyAuthErr, err)
	c.Response().ResetBody()
	if ba, _ := c.Locals(keyBetterAuth).(bool); ba {
		return h.requireBetterAuth(c)
	}
	if isAPI(c) {
		return h.requireAPI(c)
	}
	return h.requirePage(c)
}

// ErrorHandler is the one place errors become answers. It logs once, with the request's
// method, path, status and id, and never shows internal error text to anyone.
func (h *Handler) ErrorHandler(c *fiber.Ctx, err error) error {
	h.setSecurityHeaders(&c.Response().Header)
	if errors.Is(err, auth.ErrSessionRevoked) || errors.Is(err, auth.ErrSessionExpired) {
		return h.sessionEnded(c, err)
	}
	if errors.Is(err, auth.ErrReauthRequired) {
		return h.reauthRequired(c, err)
	}
	status, code, message := fiber.StatusInternalServerError, "internal_error", "error.internal"
	var he *httpError
	var fe *fiber.Error
	var tooMany *auth.TooManyAttemptsError
	if a := authAnswer(err); a != nil {
		he = a
	}
	var busy *auth.BusyError
	switch {
	case he != nil, errors.As(err, &he):
		status, code, message = he.status, he.code, he.message
	case errors.As(err, &fe):
		status, code, message = fe.Code, fiberErrorCode(fe.Code), fiberErrorMessage(fe.Code)
	case db.IsUnavailable(err):
		status, code, message = fiber.StatusServiceUnavailable, "unavailable", "error.unavailable"
		setRetryAfter(c, unavailableRetryAfter)
	case errors.As(err, &tooMany): // any route that signs in is rate limited
		status, code, message = fiber.StatusTooManyRequests, "rate_limited", "error.rate_limited"
		setRetryAfter(c, tooMany.RetryAfter)
	case errors.As(err, &busy): // every password hash waits for a slot (auth.HashSlots)
		status, code, message = fiber.StatusServiceUnavailable, "busy", "error.busy"
		setRetryAfter(c, busy.RetryAfter)
	}
	unread := unreadRequest(c)
	if unread.reason != "" && status >= 500 { // fiber's 502 for a network error: the client's fault
		status, code, message = fiber.StatusBadRequest, "bad_request", "error.bad_request"
	}
	level := slog.LevelInfo
	switch {
	case unread.reason != "":
		// the client's fault (unread.go): INFO, whatever the status
	case busy != nil:
		level = slog.LevelWarn // load, not a fault of ours
	case status >= 500:
		level = slog.LevelError
	}
	switch {
	case err == errShed: // counted and logged by admit, once per interval
	case unread.reason != "":
		h.log.Info("request not read", "status", status, "reason", unread.reason,
			"remote", c.Context().RemoteAddr().String(), "error", unread.err)
	default:
		h.log.Log(c.UserContext(), level, "request failed",
			"method", c.Method(), "path", c.Path(), "status", status,
			"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "error", err.Error())
	}

	if isAPI(c) {
		return apiError(c, status, code, "")
	}
	loc := h.localizer(c)
	c.Status(status)
	if isHTMX(c) {
		return h.fragment(c, "partials/error", fiber.Map{"L": loc, "Message": loc.T(message)})
	}
	return h.page(c, "pages/error", &errorPage{
		Layout:  h.layout(c, loc.T("error.title")),
		Message: loc.T(message),
		Status:  status,
	})
}

func (h *Handler) notFound(c *fiber.Ctx) error { return errNotFound }

func fiberErrorCode(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestEntityTooLarge:
		return "body_too_large"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return "headers_too_large"
	case fiber.StatusBadRequest:
		return "bad_request"
	case fiber.StatusTooManyRequests:
		return "rate_limited"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "bad_request"
}

func fiberErrorMessage(status int) string {
	switch status {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return "error.not_found"
	case fiber.StatusRequestEntityTooLarge:
		return "error.too_large"
	case fiber.StatusTooManyRequests:
		return "error.rate_limited"
	}
	if status >= 500 {
		return "error.internal"
	}
	return "error.bad_request"
}
