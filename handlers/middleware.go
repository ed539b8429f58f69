package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/docodego/sessions/auth"
)

type localKey int

const (
	keyCurrent localKey = iota // auth.Current of a signed-in request
	keyAuthErr                 // why a cookie did not sign the request in
	keyLocalizer
	keyDevice
	keyAdminTarget // the person an admin request acts on, for its audit entry
	keyUnread      // why the server could not read the request (unread.go)
	keyBetterAuth  // a better-auth route: its refusals take better-auth's shape
)

// contentSecurityPolicy allows nothing inline and nothing from elsewhere; htmx is
// configured (meta htmx-config) not to inject its indicator style.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// withSecurityHeaders wraps the server's handler: every answer carries the security
// headers, including the ones no route or middleware sees (the probes, and Fiber's own
// plain-text 400 for a method it does not know, which it sends before any middleware).
func (h *Handler) withSecurityHeaders(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		h.setSecurityHeaders(&ctx.Response.Header)
		next(ctx)
	}
}

// setSecurityHeaders sets the headers every response carries. The server's own 400, 413
// and 431 for requests it could not read go straight to the ErrorHandler, which calls it.
func (h *Handler) setSecurityHeaders(r *fasthttp.ResponseHeader) {
	r.Set("Content-Security-Policy", contentSecurityPolicy)
	r.Set("X-Content-Type-Options", "nosniff")
	r.Set("Referrer-Policy", "same-origin")
	r.Set("Cross-Origin-Opener-Policy", "same-origin")
	r.Set("Cross-Origin-Resource-Policy", "same-origin")
	r.Set("X-Frame-Options", "DENY")
	r.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
	if h.secure() {
		r.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// crossOriginCheck refuses unsafe requests that the browser marks as cross-site, with the
// standard library's rules (Sec-Fetch-Site, else Origin against Host). Requests with
// neither header, such as curl or a native client, pass.
func (h *Handler) crossOriginCheck(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if isDBSCPath(c) {
		return c.Next() // Chrome sends these without a usable Origin; they need the session cookie
	}
	req := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), Header: http.Header{}}
	if v := c.Get("Sec-Fetch-Site"); v != "" {
		req.Header.Set("Sec-Fetch-Site", v)
	}
	if v := c.Get("Origin"); v != "" {
		req.Header.Set("Origin", v)
	}
	if err := h.crossOrigin.Check(req); err != nil || !h.sameScheme(c) {
		return errForbiddenCrossSite
	}
	return c.Next()
}

// sameScheme reports whether a request's Origin, when it has one and no Sec-Fetch-Site
// settles the question, has this site's scheme: the standard library compares only the
// host, so http://host would pass for https://host (an origin of its own, RFC 6454).
func (h *Handler) sameScheme(c *fiber.Ctx) bool {
	origin := c.Get("Origin")
	if origin == "" || c.Get("Sec-Fetch-Site") != "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == h.scheme()
}

// loadSession finds the session behind the cookie, if any, and remembers why a cookie
// failed so the answer can say "ended from another device" or "expired".
func (h *Handler) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(h.cookies.session)
	if token == "" {
		return c.Next()
	}
	cur, err := h.auth.Authenticate(c.UserContext(), token, clientIP(c))
	if err == nil && !isDBSCPath(c) {
		err = h.auth.CheckBinding(cur, c.Cookies(h.cookies.bound))
	}
	switch {
	case err == nil:
		c.Locals(keyCurrent, &cur)
	case errors.Is(err, auth.ErrSessionUnbound):
		// A copy of the cookie, or Chrome before its refresh: refused, the session lives on.
		h.auth.RecordUnboundRefused(c.UserContext(), cur, client(c))
		c.Locals(keyAuthErr, err)
	case errors.Is(err, auth.ErrNoSession), errors.Is(err, auth.ErrSessionRevoked), errors.Is(err, auth.ErrSessionExpired):
		c.Locals(keyAuthErr, err)
	default:
		return err
	}
	return c.Next()
}

// current is the signed-in request's session, or nil.
func current(c *fiber.Ctx) *auth.Current {
	cur, _ := c.Locals(keyCurrent).(*auth.Current)
	return cur
}

// endedReason says why the request's cookie no longer signs it in: "revoked", "expired",
// "unbound" (a bound session without its bound cookie) or "".
func endedReason(c *fiber.Ctx) string {
	err, _ := c.Locals(keyAuthErr).(error)
	return endedWord(err)
}

// endedWord is the word for why err ended a session, as /login?ended= takes it; "" when
// err says nothing of an end.
func endedWord(err error) string {
	switch {
	case errors.Is(err, auth.ErrSessionEvicted): // also ErrSessionRevoked: asked first
		return "limit"
	case errors.Is(err, auth.ErrSessionEndedByPolicy):
		return "policy"
	case errors.As(err, new(*auth.AdminEndedError)):
		return "admin"
	case errors.Is(err, auth.ErrSessionRevoked):
		return "revoked"
	case errors.Is(err, auth.ErrSessionExpired):
		return "expired"
	case errors.Is(err, auth.ErrSessionUnbound):
		return "unbound"
	}
	return ""
}

// endedQuery is the sign-in page's query for why err ended a session: "ended=limit", or
// for an administrator's end "ended=admin&reason=lost_device" (a code of
// auth.AdminEndReasons); "" when err says nothing of an end.
func endedQuery(err error) string {
	word := endedWord(err)
	if word == "" {
		return ""
	}
	q := "ended=" + word
	if ae := new(auth.AdminEndedError); errors.As(err, &ae) {
		q += "&reason=" + ae.Reason
	}
	return q
}

// requestEndedQuery is endedQuery for the request's cookie.
func requestEndedQuery(c *fiber.Ctx) string {
	err, _ := c.Locals(keyAuthErr).(error)
	return endedQuery(err)
}

// requirePage lets signed-in requests through and sends the rest to sign in: a redirect
// for pages and forms, HX-Redirect for htmx (fetch would follow a 303 into the target).
func (h *Handler) requirePage(c *fiber.Ctx) error {
	if current(c) != nil {
		return c.Next()
	}
	to := "/login"
	if q := requestEndedQuery(c); q != "" {
		to += "?" + q
	} else if next := safeNext(string(c.Request().URI().RequestURI())); next != "" && c.Method() == fiber.MethodGet && c.Query("session") != "" {
		to += "?next=" + url.QueryEscape(next) // a signed-out reader of the mail's link comes back to it
	}
	// The cookie is left for the sign-in page this sends to, which clears it: the page's
	// other requests in flight (a live refresh, a stream's reconnect) must read the same
	// reason, not a missing cookie, or the last of them sends the page to a bare /login.
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// requireAPI answers 401 with the reason when the request is not signed in.
func (h *Handler) requireAPI(c *fiber.Ctx) error {
	if current(c) != nil {
		return c.Next()
	}
	code, message := h.unauthenticatedCode(c), ""
	if err, _ := c.Locals(keyAuthErr).(error); code == "session_revoked_by_admin" {
		message = adminEndedText(h.localizer(c), endedAdminReason(err)) // the device is told why
	}
	return apiError(c, fiber.StatusUnauthorized, code, message)
}

// endedAdminReason is the reason code of an administrator's end, or "".
func endedAdminReason(err error) string {
	if ae := new(auth.AdminEndedError); errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// unauthenticatedCode is the API's word for why a request is not signed in; it also
// clears a cookie that no longer works, so the client stops sending it.
func (h *Handler) unauthenticatedCode(c *fiber.Ctx) string {
	h.clearEndedCookie(c)
	switch endedReason(c) {
	case "limit":
		return "session_evicted"
	case "policy":
		return "session_ended_by_policy"
	case "admin":
		return "session_revoked_by_admin"
	case "revoked":
		return "session_revoked"
	case "expired":
		return "session_expired"
	case "unbound":
		return "session_unbound"
	}
	return "unauthenticated"
}

// clearEndedCookie clears a session cookie that no longer works, so the client stops
// sending it; a bound session refused for its missing bound cookie is not ended, and the
// browser that holds its key still needs the cookie after its refresh.
func (h *Handler) clearEndedCookie(c *fiber.Ctx) {
	if c.Locals(keyAuthErr) != nil && endedReason(c) != "unbound" {
		h.clearSessionCookie(c)
	}
}

// safeNext is where a sign-in may return to: only the security page itself, with a query
// of printable ASCII (the mail's ?session=<id>), never another host or scheme, so it
// cannot be an open redirect. "" for anything else.
func safeNext(p string) string {
	path, query, _ := strings.Cut(p, "?")
	if path != securityPath {
		return ""
	}
	for i := 0; i < len(query); i++ {
		if query[i] <= ' ' || query[i] > '~' || query[i] == '\\' {
			return ""
		}
	}
	if query == "" {
		return path
	}
	return path + "?" + query
}
