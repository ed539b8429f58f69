package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
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

// accountKey identifies an account for the limits without keeping the typed email.
func accountKey(email string) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return sum[:]
}

// recordAttempt counts and records an attempt on the account from the client's address
// (addressKey: an IPv6 /64) and browser; it returns the attempt's id (to mark a success) or a *TooManyAttemptsError.
// Unknown and known emails are counted alike, so the limit says nothing about which
// accounts exist. A browser that has signed in to the account before is limited on its
// own instead of by the account's count (db.RecordLoginAttempt).
func (s *Service) recordAttempt(ctx context.Context, email string, c Client) (int64, error) {
	limit, window := s.conf().SignInLimit, s.conf().SignInWindow
	now := s.now()
	var device []byte
	if c.DeviceID != "" {
		device = deviceHash(c.DeviceID)
	}
	n, err := s.store.RecordLoginAttempt(ctx, db.LoginAttempt{
		IP: addressKey(c.IP), AccountKey: accountKey(email), Email: strings.TrimSpace(email), DeviceHash: device,
		At: now, Since: now.Add(-window), Limit: limit,
	})
	if err != nil {
		return 0, fmt.Errorf("sign-in limit: %w", err)
	}
	if n.ID != 0 {
		return n.ID, nil
	}
	// Over the limit on the IP, the account (or this browser) or both: wait for the later.
	var until time.Time
	later := func(count int, oldest sql.NullTime) {
		if count >= limit && oldest.Valid && oldest.Time.Add(window).After(until) {
			until = oldest.Time.Add(window)
		}
	}
	later(n.IPCount, n.IPOldest)
	if n.Trusted {
		later(n.DeviceCount, n.DeviceOldest)
	} else {
		later(n.AccountCount, n.AccountOldest)
	}
	return 0, tooMany(until.Sub(now))
}

// tooMany is the refusal for a wait, at least a second.
func tooMany(wait time.Duration) *TooManyAttemptsError {
	return &TooManyAttemptsError{RetryAfter: max(wait, time.Second)}
}

// hit records one use of a limited action (db.RecordHit) and returns its id, or a
// *TooManyAttemptsError when the key used its limit within the window.
func (s *Service) hit(ctx context.Context, scope, key string, limit int, window time.Duration) (int64, error) {
	now := s.now()
	n, err := s.store.RecordHit(ctx, db.Hit{Scope: scope, Key: key, At: now, Since: now.Add(-window), Limit: limit})
	if err != nil {
		return 0, fmt.Errorf("%s limit: %w", scope, err)
	}
	if n.ID != 0 {
		return n.ID, nil
	}
	var wait time.Duration
	if n.Oldest.Valid {
		wait = n.Oldest.Time.Add(window).Sub(now)
	}
	return 0, tooMany(wait)
}
