package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/locale"
)

// The admin group (/admin and /api/admin) has one guard, registered with the group in
// Register: every route under those prefixes passes it, whatever registers it later, and
// TestEveryAdminRouteIsGuarded walks the route table to prove it.

var errNotAdmin = &httpError{fiber.StatusForbidden, "admin_required", "admin.forbidden"}

// Admin path prefixes: the guard's group and the only places a re-authentication returns to.
const (
	adminPath    = "/admin"
	adminAPIPath = "/api/admin"
)

// requireAdmin lets a request through only when it is signed in, its person holds the
// administrator role, an unsafe method carries the CSRF token, and the session proved its
// password within the admin re-authentication window (auth.AdminFresh). It writes the
// request to the admin audit trail: who (account, session), from where (address, user
// agent), what (method, route, the person acted on) and how it ended.
func (h *Handler) requireAdmin(c *fiber.Ctx) error {
	cur := current(c)
	if cur == nil {
		if isAPI(c) {
			return h.requireAPI(c)
		}
		return h.requirePage(c)
	}
	ok, err := h.auth.IsAdmin(c.UserContext(), *cur)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		err = errNotAdmin
	case !isSafeMethod(c) && !h.validCSRF(c):
		err = errBadCSRF
	case !h.auth.AdminFresh(*cur):
		h.recordAdmin(c, *cur, fiber.StatusForbidden)
		return h.adminReauthPrompt(c, "")
	default:
		err = c.Next()
	}
	h.recordAdmin(c, *cur, statusOf(c, err))
	return err
}

func isSafeMethod(c *fiber.Ctx) bool {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return true
	}
	return false
}

// statusOf is the status a request ends with: err's when the handler failed (the error
// handler answers later), else the response's.
func statusOf(c *fiber.Ctx, err error) int {
	var he *httpError
	switch {
	case err == nil:
		return c.Response().StatusCode()
	case errors.As(err, &he):
		return he.status
	case authAnswer(err) != nil:
		return authAnswer(err).status
	}
	return fiber.StatusInternalServerError
}

// recordAdmin writes the admin request to the audit trail. A failed write is logged, never
// shown: the request itself has already been answered or refused.
func (h *Handler) recordAdmin(c *fiber.Ctx, cur auth.Current, status int) {
	target, _ := c.Locals(keyAdminTarget).(string)
	action := c.Method() + " " + c.Path()
	if r := c.Route(); r != nil && (strings.HasPrefix(r.Path, adminPath+"/") || strings.HasPrefix(r.Path, adminAPIPath+"/")) {
		action = c.Method() + " " + strings.TrimSuffix(r.Path, "/") // the route ("/admin/users/:id"), never a query
	}
	err := h.auth.RecordAdminRequest(c.UserContext(), auth.AdminRequest{
		Admin: cur, Action: action, Target: target, IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent), Status: status,
	})
	if err != nil {
		h.log.Error("admin audit not written", "method", c.Method(), "path", c.Path(),
			"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "error", err.Error())
	}
}

// adminReauthPage is the prompt an admin without a fresh proof of password gets.
// Its Layout's Next is the admin page to return to, for its form and the language
// switcher alike.
type adminReauthPage struct {
	Layout
	Problem string
}

// adminReauthPrompt answers an admin request outside the window: the JSON API better-auth's
// fresh-session answer (403 SESSION_NOT_FRESH; POST /api/auth/reauthenticate proves it),
// htmx a redirect to the page that asks, a page the password form itself (403).
func (h *Handler) adminReauthPrompt(c *fiber.Ctx, problem string) error {
	l := h.localizer(c)
	if isAPI(c) {
		return baError(c, fiber.StatusForbidden, "reauthentication_required", "SESSION_NOT_FRESH", l.T("reauth.required"))
	}
	next := adminReturnPath(c)
	if isHTMX(c) {
		c.Set("HX-Redirect", next)
		return c.SendStatus(fiber.StatusOK)
	}
	c.Status(fiber.StatusForbidden)
	return h.page(c, "pages/admin_reauth", &adminReauthPage{Layout: h.reauthLayout(c, l, next), Problem: problem})
}

// reauthLayout is the prompt's layout, returning to the admin page next.
func (h *Handler) reauthLayout(c *fiber.Ctx, l *locale.Localizer, next string) Layout {
	d := h.layout(c, l.T("admin.reauth.title"))
	d.Next = next
	return d
}

// adminReturnPath is the admin page the prompt returns to: this one for a GET, else the
// admin page the request came from, else the admin start page.
func adminReturnPath(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet && !isHTMX(c) {
		return string(c.Request().URI().RequestURI())
	}
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && safeAdminNext(ref.RequestURI()) != "" {
		return safeAdminNext(ref.RequestURI())
	}
	return adminPath
}

// safeAdminNext is p when it is an admin page of this site (no other host or scheme, no
// control characters): the only places the re-authentication form returns to. "" else.
func safeAdminNext(p string) string {
	if p != adminPath && !strings.HasPrefix(p, adminPath+"/") && !strings.HasPrefix(p, adminPath+"?") {
		return ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] > '~' || p[i] == '\\' {
			return ""
		}
	}
	if strings.HasPrefix(p, "//") {
		return ""
	}
	return p
}

// adminReauthenticate is POST /app/settings/security/reauthenticate: the prompt's form.
// The right password starts the window and returns to the admin page; a wrong one, or a
// missing one, asks again (400, field "password").
func (h *Handler) adminReauthenticate(c *fiber.Ctx) error {
	next := safeAdminNext(formValue(c, "next"))
	if next == "" {
		next = adminPath
	}
	password := formValue(c, "password")
	l := h.localizer(c)
	if password == "" {
		return h.reauthAgain(c, fiber.StatusBadRequest, next, l.T("reauth.enter_password"))
	}
	err := h.auth.Reauthenticate(c.UserContext(), *current(c), password)
	var tooMany *auth.TooManyAttemptsError
	switch {
	case errors.Is(err, auth.ErrWrongPassword):
		return h.reauthAgain(c, fiber.StatusBadRequest, next, l.T("reauth.wrong_password"))
	case errors.As(err, &tooMany):
		setRetryAfter(c, tooMany.RetryAfter)
		return h.reauthAgain(c, fiber.StatusTooManyRequests, next, l.T("error.rate_limited"))
	case err != nil:
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// reauthAgain shows the prompt again with what was wrong.
func (h *Handler) reauthAgain(c *fiber.Ctx, status int, next, problem string) error {
	l := h.localizer(c)
	c.Status(status)
	return h.page(c, "pages/admin_reauth", &adminReauthPage{Layout: h.reauthLayout(c, l, next), Problem: problem})
}
