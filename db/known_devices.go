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
