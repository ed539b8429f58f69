package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LoginAttempt is one sign-in attempt to record, with the window and limit it is
// counted against.
type LoginAttempt struct {
	IP         string    // the client's address as the limits count it (an IPv6 /64)
	AccountKey []byte    // SHA-256 of the lower-cased email
	Email      string    // as typed: finds the account whose known devices DeviceHash may be among
	DeviceHash []byte    // the browser's device id as known_devices keeps it; nil without one
	At         time.Time // now
	Since      time.Time // start of the window: older attempts no longer count
	Limit      int       // attempts allowed per IP, per account and per trusted device within the window
}

// LoginAttemptCounts is what was counted before this attempt: attempts in the window not
// known to have succeeded, per IP, per account (from untrusted browsers) and, for a
// browser that has signed in to the account before (Trusted), per that browser; and the
// oldest of each (when the count first drops). ID is the recorded attempt, 0 when it was
// over the limit and so not recorded (refused attempts do not extend the lock).
type LoginAttemptCounts struct {
	ID            int64        `db:"id"`
	Trusted       bool         `db:"trusted"`
	IPCount       int          `db:"ip_count"`
	AccountCount  int          `db:"account_count"`
	DeviceCount   int          `db:"device_count"`
	IPOldest      sql.NullTime `db:"ip_oldest"`
	AccountOldest sql.NullTime `db:"account_oldest"`
	DeviceOldest  sql.NullTime `db:"device_oldest"`
}

// RecordLoginAttempt counts the recent attempts from the IP and on the account and,
// when both are under the limit, records this one, in one statement; it also deletes
// attempts that fell out of the window. An attempt from a browser known to the account
// (OWASP "device cookies") is counted against that browser instead of the account, and
// the account's count does not stop it: strangers failing from anywhere cannot lock the
// owner's own browsers out. Only a browser that signed in with the account's current
// password is trusted (credentialTag): the exemption never outlives the password that
// earned it. Concurrent attempts may overshoot the limit by at most their
// number.
func (s *Store) RecordLoginAttempt(ctx context.Context, a LoginAttempt) (LoginAttemptCounts, error) {
	var out LoginAttemptCounts
	err := s.db.GetContext(ctx, &out, `
		WITH trusted AS (
			SELECT $6::bytea AS device_key
			WHERE EXISTS (
				SELECT 1 FROM known_devices k JOIN users u ON u.id = k.user_id
				WHERE lower(u.email) = lower($7) AND k.device_hash = $6 AND k.credential = `+credentialTag+`)
		), recent AS (
			SELECT EXISTS (SELECT 1 FROM trusted) AS trusted,
				count(*) FILTER (WHERE ip = $1) AS ip_count,
				count(*) FILTER (WHERE account_key = $2 AND device_key IS NULL) AS account_count,
				count(*) FILTER (WHERE account_key = $2 AND device_key = (SELECT device_key FROM trusted)) AS device_count,
				min(attempted_at) FILTER (WHERE ip = $1) AS ip_oldest,
				min(attempted_at) FILTER (WHERE account_key = $2 AND device_key IS NULL) AS account_oldest,
				min(attempted_at) FILTER (WHERE account_key = $2 AND device_key = (SELECT device_key FROM trusted)) AS device_oldest
			FROM login_attempts
			WHERE attempted_at > $4 AND NOT succeeded AND (ip = $1 OR account_key = $2)
		), attempt AS (
			INSERT INTO login_attempts (ip, account_key, attempted_at, device_key)
			SELECT $1, $2, $3, (SELECT device_key FROM trusted) FROM recent
			WHERE ip_count < $5 AND CASE WHEN trusted THEN device_count < $5 ELSE account_count < $5 END
			RETURNING id
		), purge AS (
			DELETE FROM login_attempts WHERE attempted_at <= $4
		)
		SELECT coalesce((SELECT id FROM attempt), 0) AS id, trusted,
			ip_count, account_count, device_count, ip_oldest, account_oldest, device_oldest
		FROM recent`,
		a.IP, a.AccountKey, a.At, a.Since, a.Limit, a.DeviceHash, a.Email)
	if err != nil {
		return LoginAttemptCounts{}, fmt.Errorf("record login attempt: %w", err)
	}
	return out, nil
}

// LoginSucceeded marks an attempt as a success: it no longer counts against the limits.
func (s *Store) LoginSucceeded(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE login_attempts SET succeeded = true WHERE id = $1`, id); err != nil {
		return fmt.Errorf("login succeeded %d: %w", id, err)
	}
	return nil
}
