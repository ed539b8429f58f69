package db

import (
	"context"
	"fmt"
	"time"
)

// credentialTag is SQL for what a known device's exemption is bound to: a SHA-256 of the
// account's current password hash (u is the users row). A new password changes it, so an
// exemption earned with the old one no longer matches.
const credentialTag = `sha256(convert_to(u.password_hash, 'UTF8'))`

// RememberDevice records that a browser (by the hash of its device id) signed in to the
// account with its current password, and reports whether it was new for this account. Its
// exemption from the account's sign-in limit is bound to that password (credentialTag).
func (t *Tx) RememberDevice(ctx context.Context, userID string, deviceHash []byte, now time.Time) (bool, error) {
	var isNew bool
	// xmax is 0 on a row this statement inserted, set on one it updated.
	err := t.tx.GetContext(ctx, &isNew, `
		INSERT INTO known_devices AS k (user_id, device_hash, first_seen_at, last_seen_at, credential)
		SELECT u.id, $2, $3, $3, `+credentialTag+` FROM users u WHERE u.id = $1
		ON CONFLICT (user_id, device_hash) DO UPDATE
			SET last_seen_at = EXCLUDED.last_seen_at, credential = EXCLUDED.credential
		RETURNING k.xmax = 0`, userID, deviceHash, now)
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	return isNew, nil
}

// ForgetOldestDevices keeps the keep most recently seen known devices of the user and
// forgets the rest; it returns how many it forgot.
func (t *Tx) ForgetOldestDevices(ctx context.Context, userID string, keep int) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `
		DELETE FROM known_devices
		WHERE user_id = $1 AND device_hash IN (
			SELECT device_hash FROM known_devices WHERE user_id = $1
			ORDER BY last_seen_at DESC, first_seen_at DESC, device_hash
			OFFSET $2)`, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("forget oldest devices of %s: %w", userID, err)
	}
	return res.RowsAffected()
}

// ForgetDevicesExceptSession forgets every known device of the user but the browser the
// session signed in from (none kept when it sent no device cookie): "Not you?" and a
// password change that signs the others out. Their device cookies then count as new
// browsers, with no allowance of their own. It returns how many it forgot.
func (t *Tx) ForgetDevicesExceptSession(ctx context.Context, userID, sessionID string) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `
		DELETE FROM known_devices
		WHERE user_id = $1 AND device_hash IS DISTINCT FROM (
			SELECT device_hash FROM sessions WHERE id = $2 AND user_id = $1)`, userID, sessionID)
	if err != nil {
		return 0, fmt.Errorf("forget devices of %s but session %s: %w", userID, sessionID, err)
	}
	return res.RowsAffected()
}

// RebindSessionDevice binds the exemption of the browser the session signed in from to the
// account's current password: after a password change, the browser that made it keeps its
// place, while every other known device's exemption went with the old password.
func (t *Tx) RebindSessionDevice(ctx context.Context, userID, sessionID string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE known_devices k SET credential = `+credentialTag+`, last_seen_at = $3
		FROM users u, sessions s
		WHERE u.id = $1 AND k.user_id = $1 AND s.id = $2 AND s.user_id = $1 AND k.device_hash = s.device_hash`,
		userID, sessionID, now)
	if err != nil {
		return fmt.Errorf("rebind device of session %s: %w", sessionID, err)
	}
	return nil
}
