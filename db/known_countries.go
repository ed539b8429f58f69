package db

import (
	"context"
	"fmt"
	"time"
)

// RememberCountry records that the account signed in from a country, and reports whether
// that is news: a country it never signed in from, while it did sign in from another (an
// account with no country yet, older than the record, learns its first quietly). The
// primary key orders concurrent sign-ins: exactly one of them finds the country new.
func (t *Tx) RememberCountry(ctx context.Context, userID, countryCode string, now time.Time) (bool, error) {
	var isNew bool
	err := t.tx.GetContext(ctx, &isNew, `
		WITH added AS (
			INSERT INTO known_countries (user_id, country_code, first_seen_at) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM added)
			AND EXISTS (SELECT 1 FROM known_countries WHERE user_id = $1)`, userID, countryCode, now)
	if err != nil {
		return false, fmt.Errorf("remember country: %w", err)
	}
	return isNew, nil
}
