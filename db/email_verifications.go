package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EmailVerification is a verification link as the database keeps it: the hash of its
// token, never the token.
type EmailVerification struct {
	UserID    string    `db:"user_id"`
	Email     string    `db:"email"`
	ExpiresAt time.Time `db:"expires_at"`
}

// CreateEmailVerification stores a new link for the user's address.
func (t *Tx) CreateEmailVerification(ctx context.Context, tokenHash []byte, userID, email string, now, expires time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tokenHash, userID, email, now, expires)
	if err != nil {
		return fmt.Errorf("create email verification: %w", err)
	}
	return nil
}

// RetireEmailVerifications makes every unused link of the user unusable (marked used), as
// a new one is sent.
func (t *Tx) RetireEmailVerifications(ctx context.Context, userID string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE email_verifications SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, userID, now)
	if err != nil {
		return fmt.Errorf("retire email verifications of %s: %w", userID, err)
	}
	return nil
}

// UseEmailVerification marks an unused link used and returns it; ErrNotFound when no
// unused link has that hash. Of two concurrent uses one waits for the other's row lock
// and then finds the link used: a link works once.
func (t *Tx) UseEmailVerification(ctx context.Context, tokenHash []byte, now time.Time) (EmailVerification, error) {
	var v EmailVerification
	err := t.tx.GetContext(ctx, &v, `
		UPDATE email_verifications SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL
		RETURNING user_id, email, expires_at`, tokenHash, now)
	if errors.Is(err, sql.ErrNoRows) {
		return EmailVerification{}, ErrNotFound
	}
	if err != nil {
		return EmailVerification{}, fmt.Errorf("use email verification: %w", err)
	}
	return v, nil
}

// MarkEmailVerified records that the user proved the address; it reports whether the
// user still has that address (a link for an address since changed verifies nothing).
func (t *Tx) MarkEmailVerified(ctx context.Context, userID, email string, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		UPDATE users SET email_verified_at = coalesce(email_verified_at, $3)
		WHERE id = $1 AND lower(email) = lower($2)`, userID, email, now)
	if err != nil {
		return false, fmt.Errorf("mark email verified %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark email verified %s: %w", userID, err)
	}
	return n == 1, nil
}

// EmailVerified tells whether the user's address is verified, inside the transaction
// that is about to send security mail to it.
func (t *Tx) EmailVerified(ctx context.Context, userID string) (bool, error) {
	var ok bool
	err := t.tx.GetContext(ctx, &ok, `SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1`, userID)
	if err != nil {
		return false, fmt.Errorf("email verified %s: %w", userID, err)
	}
	return ok, nil
}
