package handlers

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
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
)

// ErrorHandler is the one place errors become answers. It logs once, with the request's
// method, path, status and id, and never shows internal error text to anyone.
func (h *Handler) ErrorHandler(c *fiber.Ctx, err error) error {
	h.setSecurityHeaders(c)
	status, code, message := fiber.StatusInternalServerError, "internal_error", "error.internal"
	var he *httpError
	var fe *fiber.Error
	var tooMany *auth.TooManyAttemptsError
	switch {
	case errors.As(err, &he):
		status, code, message = he.status, he.code, he.message
	case errors.As(err, &fe):
		status, code, message = fe.Code, fiberErrorCode(fe.Code), fiberErrorMessage(fe.Code)
	case isUnavailable(err):
		status, code, message = fiber.StatusServiceUnavailable, "unavailable", "error.unavailable"
	case errors.As(err, &tooMany): // any route that signs in is rate limited
		status, code, message = fiber.StatusTooManyRequests, "rate_limited", "error.rate_limited"
		setRetryAfter(c, tooMany)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	h.log.Log(c.UserContext(), level, "request failed",
		"method", c.Method(), "path", c.Path(), "status", status,
		"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "error", err.Error())

	if isAPI(c) {
		return apiError(c, status, code, "")
	}
	loc := h.localizer(c)
	c.Status(status)
	if isHTMX(c) {
		return h.fragment(c, "partials/error", fiber.Map{"L": loc, "Message": loc.T(message)})
	}
	return h.page(c, "pages/error", &errorPage{
		layoutData: h.layout(c, loc.T("error.title")),
		Message:    loc.T(message),
		Status:     status,
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
