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
	IP         string
	AccountKey []byte    // SHA-256 of the lower-cased email
	At         time.Time // now
	Since      time.Time // start of the window: older attempts no longer count
	Limit      int       // attempts allowed per IP and per account within the window
}

// LoginAttemptCounts is what was counted before this attempt: attempts in the window not
// known to have succeeded, per IP and per account, and the oldest of each (when the
// count first drops). ID is the recorded attempt, 0 when it was over the limit and so
// not recorded (refused attempts do not extend the lock).
type LoginAttemptCounts struct {
	ID            int64        `db:"id"`
	IPCount       int          `db:"ip_count"`
	AccountCount  int          `db:"account_count"`
	IPOldest      sql.NullTime `db:"ip_oldest"`
	AccountOldest sql.NullTime `db:"account_oldest"`
}

// RecordLoginAttempt counts the recent attempts from the IP and on the account and,
// when both are under the limit, records this one, in one statement; it also deletes
// attempts that fell out of the window. Concurrent attempts may overshoot the limit by
// at most their number.
func (s *Store) RecordLoginAttempt(ctx context.Context, a LoginAttempt) (LoginAttemptCounts, error) {
	var out LoginAttemptCounts
	err := s.db.GetContext(ctx, &out, `
		WITH recent AS (
			SELECT count(*) FILTER (WHERE ip = $1) AS ip_count,
				count(*) FILTER (WHERE account_key = $2) AS account_count,
				min(attempted_at) FILTER (WHERE ip = $1) AS ip_oldest,
				min(attempted_at) FILTER (WHERE account_key = $2) AS account_oldest
			FROM login_attempts
			WHERE attempted_at > $4 AND NOT succeeded AND (ip = $1 OR account_key = $2)
		), attempt AS (
			INSERT INTO login_attempts (ip, account_key, attempted_at)
			SELECT $1, $2, $3 FROM recent WHERE ip_count < $5 AND account_count < $5
			RETURNING id
		), purge AS (
			DELETE FROM login_attempts WHERE attempted_at <= $4
		)
		SELECT coalesce((SELECT id FROM attempt), 0) AS id,
			ip_count, account_count, ip_oldest, account_oldest
		FROM recent`,
		a.IP, a.AccountKey, a.At, a.Since, a.Limit)
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
