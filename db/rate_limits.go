package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Scopes of rate_limit_hits.
const (
	LimitSignUp        = "sign_up"          // key: the client address (an IPv6 /64)
	LimitPasswordCheck = "password_check"   // key: the session id
	LimitVerifyMail    = "verify_mail"      // key: the user id
	LimitVerifyRequest = "verify_request"   // signed-out requests for one; key: the client address (an IPv6 /64)
	LimitEviction      = "evicting_sign_in" // sign-ins that end others past SESSION_LIMIT; key: user id, space, client address
)

// Hit is one use of a limited action.
type Hit struct {
	Scope string
	Key   string
	At    time.Time // now
	Since time.Time // start of the window: older hits no longer count
	Limit int       // hits allowed within the window
}

// HitCount is what was counted before this hit. ID is the recorded hit, 0 when the limit
// was reached and so nothing was recorded (refused tries do not extend the wait).
type HitCount struct {
	ID     int64        `db:"id"`
	Count  int          `db:"n"`
	Oldest sql.NullTime `db:"oldest"`
}

// RecordHit counts the hits of the key within the window and, below the limit, records
// this one, in one statement; it also deletes the scope's hits that left the window.
// Concurrent hits may overshoot the limit by at most their number.
func (s *Store) RecordHit(ctx context.Context, h Hit) (HitCount, error) {
	var out HitCount
	err := s.db.GetContext(ctx, &out, `
		WITH recent AS (
			SELECT count(*) AS n, min(hit_at) AS oldest
			FROM rate_limit_hits WHERE scope = $1 AND key = $2 AND hit_at > $4
		), hit AS (
			INSERT INTO rate_limit_hits (scope, key, hit_at)
			SELECT $1, $2, $3 FROM recent WHERE n < $5
			RETURNING id
		), purge AS (
			DELETE FROM rate_limit_hits WHERE scope = $1 AND hit_at <= $4
		)
		SELECT coalesce((SELECT id FROM hit), 0) AS id, n, oldest FROM recent`,
		h.Scope, h.Key, h.At, h.Since, h.Limit)
	if err != nil {
		return HitCount{}, fmt.Errorf("record %s hit: %w", h.Scope, err)
	}
	return out, nil
}

// ForgetHit removes a recorded hit: the try succeeded and no longer counts.
func (s *Store) ForgetHit(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM rate_limit_hits WHERE id = $1`, id); err != nil {
		return fmt.Errorf("forget hit %d: %w", id, err)
	}
	return nil
}
