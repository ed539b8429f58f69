package auth

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docodego/sessions/db"
)

// Session states as the status endpoint reports them.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusExpired = "expired"
)

// Limits on what we store about a client and accept from a person.
const (
	MaxUserAgent      = 512
	MinPasswordLength = 12
	// MaxPasswordLength is the longest password in bytes (argon2id hashes any length; this
	// bounds the work one request can ask for).
	MaxPasswordLength = 1024
	maxPasswordLength = MaxPasswordLength
	maxNameLength     = 100
	maxEmailLength    = 254
)

// Status tells whether a session is active, revoked or expired at now.
func (c Config) Status(s db.Session, now time.Time) string {
	switch {
	case s.RevokedAt.Valid:
		return StatusRevoked
	case !now.Before(c.AbsoluteExpiry(s)), !now.Before(c.IdleExpiry(s)):
		return StatusExpired
	default:
		return StatusActive
	}
}

// IdleExpiry is when a session ends if it is not used again.
func (c Config) IdleExpiry(s db.Session) time.Time {
	return s.LastSeenAt.Add(c.IdleTimeout)
}

// AbsoluteExpiry is when a session ends whatever happens: the end stored at sign-in, or
// sooner when the maximum lifetime was lowered since (created_at + the lifetime in force),
// so an operator who tightens SESSION_MAX_LIFETIME ends the older sessions at once. The
// stored end stays meaningful: a session may have been given a shorter one.
func (c Config) AbsoluteExpiry(s db.Session) time.Time {
	lifetime := c.AbsoluteLifetime
	if s.Persistent {
		lifetime = c.rememberLifetime() // "Keep me signed in" may be held shorter
	}
	if end := s.CreatedAt.Add(lifetime); end.Before(s.ExpiresAt) {
		return end
	}
	return s.ExpiresAt
}

// rememberLifetime is how long a "Keep me signed in" session lasts: RememberLifetime, at
// most AbsoluteLifetime.
func (c Config) rememberLifetime() time.Duration {
	if c.RememberLifetime <= 0 {
		return c.AbsoluteLifetime
	}
	return min(c.RememberLifetime, c.AbsoluteLifetime)
}

// ExpiresAt is when a session ends for good: the earlier of its idle and absolute ends.
func (c Config) ExpiresAt(s db.Session) time.Time {
	if idle, end := c.IdleExpiry(s), c.AbsoluteExpiry(s); idle.Before(end) {
		return idle
	}
	return c.AbsoluteExpiry(s)
}

// TouchInterval is how stale last-seen may get before a request writes it again: a tenth
// of the idle timeout, at most a minute. Busy sessions cost one write per interval, and a
// session used more often than the idle timeout never ends for idleness (a minute-long
// interval ended a session used every 19 s under a 70 s idle timeout).
func (c Config) TouchInterval() time.Duration {
	return min(c.IdleTimeout/10, time.Minute)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// validateSignUp checks a sign-up form and returns the cleaned name and email.
func validateSignUp(name, email, password string) (string, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", &InputError{Field: "name", Code: "error.name_required"}
	}
	if !oneLine(name) {
		return "", "", &InputError{Field: "name", Code: "error.name_invalid"}
	}
	if utf8.RuneCountInString(name) > maxNameLength {
		return "", "", &InputError{Field: "name", Code: "error.name_too_long"}
	}
	email, err := validateEmail(email)
	if err != nil {
		return "", "", err
	}
	if err := ValidatePassword(password); err != nil {
		return "", "", err
	}
	return name, email, nil
}

// ValidatePassword applies the password policy: long enough, not absurdly long, not common.
func ValidatePassword(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return &InputError{Field: "password", Code: "error.password_too_short"}
	case len(password) > maxPasswordLength:
		return &InputError{Field: "password", Code: "error.password_too_long"}
	case isCommonPassword(password):
		return &InputError{Field: "password", Code: "error.password_common"}
	}
	return nil
}
