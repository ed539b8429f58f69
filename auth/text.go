package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// oneLine reports whether s may fill a one-line field such as a name or an email: valid
// UTF-8 with no control character (C0, DEL, C1; CR and LF among them). PostgreSQL
// refuses NUL and invalid UTF-8 outright (SQLSTATE 22021), and a line break in a name
// would start a new line in a mail that quotes it.
func oneLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// cleanUserAgent is a User-Agent as it is parsed and stored: control characters become
// spaces, invalid UTF-8 becomes U+FFFD, and it is cut to MaxUserAgent bytes. It is
// cleaned, not refused: an odd header must not keep a device from signing in.
func cleanUserAgent(ua string) string {
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, ua)
	return truncateUTF8(ua, MaxUserAgent)
}
