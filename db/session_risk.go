package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The reasons a sign-in is flagged on the security page, stored as bits in sessions.risk.
const (
	RiskNewDevice    int16 = 1 << iota // a browser this account had not seen
	RiskNewCountry                     // the account's first sign-in from this country
	RiskNotBrowser                     // a script or a client the parser could not name
	RiskAfterFailure                   // a wrong password for the account shortly before
	RiskFarFromUsual                   // a country none of the account's other live sessions is in
)

// SetSessionRisk stores why a new session is flagged, in its sign-in's transaction.
func (t *Tx) SetSessionRisk(ctx context.Context, id string, risk int16) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE sessions SET risk = $2 WHERE id = $1`, id, risk); err != nil {
		return fmt.Errorf("set risk of session %s: %w", id, err)
	}
	return nil
}

// ClearSessionRisk is "This was me": the user's live session id is no longer flagged; it
// returns the session's id, browser and OS (for the confirmation). An unknown, ended or
// another user's session is ErrNotFound.
func (t *Tx) ClearSessionRisk(ctx context.Context, userID, id string, now time.Time) (Session, error) {
	var s Session
	err := t.tx.GetContext(ctx, &s, `
		UPDATE sessions SET risk = 0
		WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
		RETURNING id, browser, os`, id, userID, now)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("clear risk of session %s: %w", id, err)
	}
	return s, nil
}

// SignInRisk is what a new sign-in's flags need from the account's history: a failed
// sign-in since failedSince, and whether the session's country is one none of the
// account's other live sessions is in (while some of them have a known country).
type SignInRisk struct {
	FailedBefore bool `db:"failed_before"`
	FarFromUsual bool `db:"far"`
}

// SignInRiskOf reads SignInRisk for session id of the user, signed in from countryCode.
func (t *Tx) SignInRiskOf(ctx context.Context, userID, id, countryCode string, failedSince, now time.Time) (SignInRisk, error) {
	var r SignInRisk
	err := t.tx.GetContext(ctx, &r, `
		SELECT EXISTS (SELECT 1 FROM audit_events
				WHERE user_id = $1 AND type = 'sign_in_failed' AND created_at > $4) AS failed_before,
			$3 <> '' AND EXISTS (SELECT 1 FROM sessions
				WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > $5 AND country_code <> '')
			AND NOT EXISTS (SELECT 1 FROM sessions
				WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > $5 AND country_code = $3) AS far`,
		userID, id, countryCode, failedSince, now)
	if err != nil {
		return r, fmt.Errorf("sign-in risk of session %s: %w", id, err)
	}
	return r, nil
}
