package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/docodego/sessions/db"
)

// TooManyAttemptsError refuses a sign-in (or a password check) because the IP or the
// account had too many recent attempts; the password was not even checked.
type TooManyAttemptsError struct {
	RetryAfter time.Duration // when the oldest counted attempt leaves the window
}

func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("too many sign-in attempts, retry after %s", e.RetryAfter)
}

// signInLimits are the configured limits, with the defaults for a zero Config.
func (c Config) signInLimits() (int, time.Duration) {
	limit, window := c.SignInLimit, c.SignInWindow
	if limit <= 0 {
		limit = 10
	}
	if window <= 0 {
		window = 10 * time.Minute
	}
	return limit, window
}

// accountKey identifies an account for the limits without keeping the typed email.
func accountKey(email string) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return sum[:]
}

// recordAttempt counts and records an attempt on the account from ip; it returns the
// attempt's id (to mark a success) or a *TooManyAttemptsError. Unknown and known emails
// are counted alike, so the limit says nothing about which accounts exist.
func (s *Service) recordAttempt(ctx context.Context, email, ip string) (int64, error) {
	limit, window := s.cfg.signInLimits()
	now := s.now()
	n, err := s.store.RecordLoginAttempt(ctx, db.LoginAttempt{
		IP: ip, AccountKey: accountKey(email), At: now, Since: now.Add(-window), Limit: limit,
	})
	if err != nil {
		return 0, fmt.Errorf("sign-in limit: %w", err)
	}
	if n.ID != 0 {
		return n.ID, nil
	}
	// Over the limit on the IP, the account or both: wait for the later of the two.
	var until time.Time
	if n.IPCount >= limit && n.IPOldest.Valid {
		until = n.IPOldest.Time.Add(window)
	}
	if n.AccountCount >= limit && n.AccountOldest.Valid && n.AccountOldest.Time.Add(window).After(until) {
		until = n.AccountOldest.Time.Add(window)
	}
	wait := until.Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return 0, &TooManyAttemptsError{RetryAfter: wait}
}
