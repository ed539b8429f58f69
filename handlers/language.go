package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/locale"
)

// langCookieAge is how long a language choice is remembered.
const langCookieAge = 365 * 24 * time.Hour

// maxNext bounds the return address a form may carry.
const maxNext = 2048

// setLanguage remembers the reader's language for a year and sends them back to the page
// they were on; an address that is not a path on this site sends them to the start page.
func (h *Handler) setLanguage(c *fiber.Ctx) error {
	lang := formValue(c, "lang")
	if !locale.Supports(lang) {
		return &httpError{fiber.StatusBadRequest, "unsupported_language", "error.bad_request"}
	}
	h.setCookie(c, h.cookies.lang, lang, langCookieAge)
	return c.Redirect(localPath(formValue(c, "next")), fiber.StatusSeeOther)
}

// localPath returns next when it can only mean a path on this site, else "/". Browsers
// read "//host", "/\host" and paths with tabs or newlines in them ("/\t/host") as other
// sites, so anything but a plain "/path?query" is refused rather than cleaned up. The
// answer goes into a Location header, so it must be printable ASCII (browsers send paths
// percent-encoded).
func localPath(next string) string {
	if len(next) == 0 || len(next) > maxNext || next[0] != '/' {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return "/"
		}
	}
	if i := strings.IndexByte(next, '#'); i >= 0 {
		next = next[:i]
	}
	return next
}

// nextPath is where the language switcher returns to: this page, when it can be loaded
// again with a GET, else the path alone.
func nextPath(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return localPath(c.OriginalURL())
	}
	return localPath(c.Path())
}
