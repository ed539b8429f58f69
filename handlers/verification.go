package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/locale"
)

// Email verification: better-auth's two routes (send-verification-email, verify-email) in
// its request and answer shapes, and the security page's "Verify your email" card with a
// resend form that works without JavaScript.

// verifyCard is the "Verify your email" card; it renders nothing once the address is
// verified.
type verifyCard struct {
	L       *locale.Localizer
	CSRF    string
	Show    bool
	Email   string
	Message string // "sent" after a resend
	Error   string // plain words about a refused resend
}

// verifyCardKey holds a card re-rendered with an error for the security page.
type verifyCardKey struct{}

// newVerifyCard is the card for this request: one being re-rendered, else the plain card
// when the address is not verified yet.
func (h *Handler) newVerifyCard(c *fiber.Ctx, l *locale.Localizer, csrf string, cur *auth.Current) verifyCard {
	if card, ok := c.Locals(verifyCardKey{}).(*verifyCard); ok {
		return *card
	}
	return verifyCard{L: l, CSRF: csrf, Show: !cur.EmailVerified, Email: cur.Email}
}

// verifyNotice is what the security page says after a verification link was followed:
// better-auth's verify-email sends the browser to callbackURL, adding ?error= on failure.
func verifyNotice(c *fiber.Ctx, l *locale.Localizer) string {
	if c.Query("done") != "verified" {
		return ""
	}
	if c.Query("error") != "" {
		return l.T("verify.invalid")
	}
	return l.T("verify.done")
}

// resendVerification is the card's form: a plain POST (redirect back, or the page again
// with the error) or an htmx one (the fresh card; 200 even when refused, so htmx swaps it).
func (h *Handler) resendVerification(c *fiber.Ctx) error {
	cur := current(c)
	l := h.localizer(c)
	card := verifyCard{L: l, CSRF: h.csrfToken(c), Show: true, Email: cur.Email}
	err := h.auth.ResendVerification(c.UserContext(), *cur, l.Lang())
	var tooMany *auth.TooManyAttemptsError
	switch {
	case err == nil:
		card.Message = l.T("verify.sent", "Email", cur.Email)
	case errors.Is(err, auth.ErrAlreadyVerified):
		card.Show = false
	case errors.As(err, &tooMany):
		setRetryAfter(c, tooMany.RetryAfter)
		card.Error = l.T("error.rate_limited")
	default:
		return err
	}
	if isHTMX(c) {
		return h.fragment(c, "partials/verify_email", card)
	}
	if card.Error == "" {
		return c.Redirect(securityPath+"?done=verification_sent", fiber.StatusSeeOther)
	}
	c.Status(fiber.StatusTooManyRequests)
	c.Locals(verifyCardKey{}, &card)
	return h.securityPage(c)
}

// sendVerificationBody is better-auth's send-verification-email body.
type sendVerificationBody struct {
	Email       string  `json:"email"`
	CallbackURL *string `json:"callbackURL"`
}

// baSendVerificationEmail is POST /api/auth/send-verification-email. Signed in, it mails
// the person's own unverified address (better-auth's 400s otherwise; 429 past the limit).
// Signed out it answers {"status":true} whether or not an account has that address, after
// the same work either way (auth.RequestVerificationMail); 429 past the address's limit.
func (h *Handler) baSendVerificationEmail(c *fiber.Ctx) error {
	var body sendVerificationBody
	if err := decodeJSON(c, &body); err != nil || body.Email == "" || overLong(body.CallbackURL, maxURLField) ||
		(body.CallbackURL != nil && !isLocalPath(*body.CallbackURL)) {
		return h.baBadBody(c)
	}
	lang := h.localizer(c).Lang()
	cur := current(c)
	if cur == nil {
		err := h.auth.RequestVerificationMail(c.UserContext(), body.Email, lang, clientIP(c))
		var tooMany *auth.TooManyAttemptsError
		var inputErr *auth.InputError
		switch {
		case errors.As(err, &tooMany):
			return h.baTooMany(c, tooMany)
		case errors.As(err, &inputErr):
			return h.baInvalid(c, inputErr)
		case err != nil:
			return err
		}
		return sendJSON(c, fiber.Map{"status": true})
	}
	if !strings.EqualFold(strings.TrimSpace(body.Email), cur.Email) {
		return baMessage(c, fiber.StatusBadRequest, "You can only send a verification email to your own email")
	}
	err := h.auth.ResendVerification(c.UserContext(), *cur, lang)
	var tooMany *auth.TooManyAttemptsError
	switch {
	case errors.Is(err, auth.ErrAlreadyVerified):
		return baMessage(c, fiber.StatusBadRequest, "You can only send a verification email to an unverified email")
	case errors.As(err, &tooMany):
		return h.baTooMany(c, tooMany)
	case err != nil:
		return err
	}
	return sendJSON(c, fiber.Map{"status": true})
}

// baTooMany is better-auth's 429, with Retry-After.
func (h *Handler) baTooMany(c *fiber.Ctx, tooMany *auth.TooManyAttemptsError) error {
	setRetryAfter(c, tooMany.RetryAfter)
	return baError(c, fiber.StatusTooManyRequests, "rate_limited", "TOO_MANY_REQUESTS", h.localizer(c).T("error.rate_limited"))
}

// baInvalid is better-auth's 400 for a rejected field.
func (h *Handler) baInvalid(c *fiber.Ctx, inputErr *auth.InputError) error {
	return baError(c, fiber.StatusBadRequest, "invalid_"+inputErr.Field, baInputCode(inputErr.Code),
		h.localizer(c).T(inputErr.Code))
}

// baVerifyEmail is GET /api/auth/verify-email?token=…&callbackURL=…: the link in the
// mail. With a callbackURL (a path of this site) it redirects there, adding
// ?error=invalid_token or token_expired on failure; without, better-auth's JSON:
// {"status":true,"user":null}, or 401 {"code":"INVALID_TOKEN"|"TOKEN_EXPIRED"}.
func (h *Handler) baVerifyEmail(c *fiber.Ctx) error {
	callback := c.Query("callbackURL")
	if callback != "" && !isLocalPath(callback) {
		return baMessage(c, fiber.StatusForbidden, "Invalid callbackURL")
	}
	err := h.auth.VerifyEmail(c.UserContext(), c.Query("token"))
	problem := ""
	switch {
	case errors.Is(err, auth.ErrVerificationExpired):
		problem = "token_expired"
	case errors.Is(err, auth.ErrVerificationInvalid):
		problem = "invalid_token"
	case err != nil:
		return err
	}
	if callback != "" {
		if problem != "" {
			sep := "?"
			if strings.Contains(callback, "?") {
				sep = "&"
			}
			callback += sep + "error=" + url.QueryEscape(problem)
		}
		return c.Redirect(callback, fiber.StatusFound)
	}
	if problem != "" {
		return baMessage(c, fiber.StatusUnauthorized, problem)
	}
	return sendJSON(c, fiber.Map{"status": true, "user": nil})
}

// baMessage answers a better-auth APIError raised with only a message: its code is the
// message in upper snake case (better-call's APIError), and ours the same in lower case.
func baMessage(c *fiber.Ctx, status int, message string) error {
	code := strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '_'
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return -1
	}, strings.ToUpper(message))
	return baError(c, status, strings.ToLower(code), code, message)
}

// isLocalPath reports whether u is a plain path on this site (language.go's localPath
// leaves it as it is): a callbackURL may not send the browser elsewhere.
func isLocalPath(u string) bool { return u != "" && localPath(u) == u }
