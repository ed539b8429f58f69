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
	RiskFarFromUsual                   // far from every place the account signed in from before
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

// FailedSignInSince reports whether the account had a wrong password since since: the next
// sign-in says so.
func (t *Tx) FailedSignInSince(ctx context.Context, userID string, since time.Time) (bool, error) {
	var failed bool
	err := t.tx.GetContext(ctx, &failed, `
		SELECT EXISTS (SELECT 1 FROM audit_events
			WHERE user_id = $1 AND type = 'sign_in_failed' AND created_at > $2)`, userID, since)
	if err != nil {
		return false, fmt.Errorf("failed sign-in since %s: %w", since.Format(time.RFC3339), err)
	}
	return failed, nil
}
