package db

import (
	"context"
	"fmt"
	"time"
)

// UpdatePasswordHash replaces a user's password hash, only if it is still oldHash: a
// concurrent change in between gives ErrNotFound instead of silently overwriting it.
func (t *Tx) UpdatePasswordHash(ctx context.Context, userID, oldHash, newHash string, now time.Time) error {
	res, err := t.tx.ExecContext(ctx, `
		UPDATE users SET password_hash = $3, updated_at = $4
		WHERE id = $1 AND password_hash = $2`, userID, oldHash, newHash, now)
	if err != nil {
		return fmt.Errorf("update password hash: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update password hash: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}
