package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// SignInMailSlot is when an account's last "new sign-in" mail went (or is due to go),
// and the digest still collecting the sign-ins since, if any.
type SignInMailSlot struct {
	LastMailAt sql.NullTime  `db:"last_mail_at"`
	DigestID   sql.NullInt64 `db:"digest_id"`
}

// LockSignInMailSlot returns the account's slot, creating an empty one, and holds its row
// lock to the end of the transaction: new-device sign-ins of one account decide about
// their mail one at a time.
func (t *Tx) LockSignInMailSlot(ctx context.Context, userID string) (SignInMailSlot, error) {
	var s SignInMailSlot
	err := t.tx.GetContext(ctx, &s, `
		INSERT INTO sign_in_mail_slots (user_id) VALUES ($1)
		ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
		RETURNING last_mail_at, digest_id`, userID)
	if err != nil {
		return SignInMailSlot{}, fmt.Errorf("lock sign-in mail slot %s: %w", userID, err)
	}
	return s, nil
}

// SetSignInMailSlot records the account's latest mail time and open digest (0: none).
func (t *Tx) SetSignInMailSlot(ctx context.Context, userID string, lastMailAt time.Time, digestID int64) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE sign_in_mail_slots SET last_mail_at = $2, digest_id = nullif($3, 0)
		WHERE user_id = $1`, userID, lastMailAt, digestID)
	if err != nil {
		return fmt.Errorf("set sign-in mail slot %s: %w", userID, err)
	}
	return nil
}

// AppendToDigest adds one sign-in to a digest not yet sent; false when the digest is
// gone, sent, or being sent right now (a worker holds it: SKIP LOCKED, so a sign-in never
// waits for an SMTP conversation).
func (t *Tx) AppendToDigest(ctx context.Context, digestID int64, item any) (bool, error) {
	b, err := json.Marshal(item)
	if err != nil {
		return false, fmt.Errorf("append to digest %d: %w", digestID, err)
	}
	res, err := t.tx.ExecContext(ctx, `
		UPDATE outbox SET payload = jsonb_set(payload, '{sign_ins}', payload->'sign_ins' || jsonb_build_array($2::jsonb))
		WHERE id = (SELECT id FROM outbox WHERE id = $1 AND sent_at IS NULL FOR UPDATE SKIP LOCKED)`, digestID, b)
	if err != nil {
		return false, fmt.Errorf("append to digest %d: %w", digestID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("append to digest %d: %w", digestID, err)
	}
	return n == 1, nil
}
