package db

import (
	"context"
	"fmt"
	"time"
)

// RememberDevice records that a browser (by the hash of its device id) signed in to the
// account, and reports whether it was new for this account.
func (t *Tx) RememberDevice(ctx context.Context, userID string, deviceHash []byte, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO known_devices (user_id, device_hash, first_seen_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, userID, deviceHash, now)
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	return n == 1, nil
}

// ForgetSessionDevice removes the browser a session signed in from from the user's known
// devices ("Not you?"): its device cookie no longer counts as known, so its next sign-in
// is "new" again and has no device-cookie allowance. It returns how many it forgot (0 or 1).
func (t *Tx) ForgetSessionDevice(ctx context.Context, userID, sessionID string) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `
		DELETE FROM known_devices
		WHERE user_id = $1 AND device_hash = (
			SELECT device_hash FROM sessions WHERE id = $2 AND user_id = $1)`, userID, sessionID)
	if err != nil {
		return 0, fmt.Errorf("forget device of session %s: %w", sessionID, err)
	}
	return res.RowsAffected()
}
