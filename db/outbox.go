package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Mail kinds in the outbox.
const (
	MailNewSignIn       = "new_sign_in"
	MailNewSignInDigest = "new_sign_in_digest" // the sign-ins that came within SignInMailInterval of the last mail
	MailVerifyEmail     = "verify_email"       // payload "token" is removed once sent
	// MailVerifyRequest is a signed-out request for a verification mail to the recipient,
	// as typed: not a message. The worker hands it to auth (Worker.Expand), which queues a
	// verify_email if an unverified account has that address, and nothing otherwise.
	MailVerifyRequest = "verify_request"
)

// OutboxMail is a row of the outbox: one message to deliver.
type OutboxMail struct {
	ID        int64           `db:"id"`
	Kind      string          `db:"kind"`
	Recipient string          `db:"recipient"`
	Payload   json.RawMessage `db:"payload"`
	CreatedAt time.Time       `db:"created_at"`
	Attempts  int             `db:"attempts"`
}

// EnqueueMail queues a message in the transaction of the action that causes it: no
// action, no mail; the action committed, the mail will go out.
func (t *Tx) EnqueueMail(ctx context.Context, kind, recipient string, payload any, now time.Time) error {
	_, err := t.EnqueueMailAt(ctx, kind, recipient, payload, now, now)
	return err
}

// EnqueueMailAt is EnqueueMail for a message not to be sent before due; it returns the
// message's id.
func (t *Tx) EnqueueMailAt(ctx context.Context, kind, recipient string, payload any, now, due time.Time) (int64, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	var id int64
	err = t.tx.GetContext(ctx, &id, `
		INSERT INTO outbox (kind, recipient, payload, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, kind, recipient, b, now, due)
	if err != nil {
		return 0, fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	return id, nil
}

// ClaimMail locks the oldest message due at now that no other transaction holds
// (FOR UPDATE SKIP LOCKED); ErrNotFound when there is none.
func (t *Tx) ClaimMail(ctx context.Context, now time.Time) (OutboxMail, error) {
	var m OutboxMail
	err := t.tx.GetContext(ctx, &m, `
		SELECT id, kind, recipient, payload, created_at, attempts
		FROM outbox
		WHERE sent_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id
		LIMIT 1
		FOR UPDATE SKIP LOCKED`, now)
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxMail{}, ErrNotFound
	}
	if err != nil {
		return OutboxMail{}, fmt.Errorf("claim mail: %w", err)
	}
	return m, nil
}

// MarkMailSent records a delivery (via "smtp" or "log"). A secret the payload carried
// for the mail (a verification link's token) is dropped: the database keeps only its hash.
func (t *Tx) MarkMailSent(ctx context.Context, id int64, via string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE outbox SET sent_at = $2, sent_via = $3, attempts = attempts + 1, last_error = '',
			payload = payload - 'token'
		WHERE id = $1`, id, now, via)
	if err != nil {
		return fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	return nil
}

// DeleteMail removes a message from the outbox (a request once handled).
func (t *Tx) DeleteMail(ctx context.Context, id int64) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete mail %d: %w", id, err)
	}
	return nil
}

// MarkMailFailed records a failed attempt and when to try again.
func (t *Tx) MarkMailFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := t.tx.ExecContext(ctx, `
		UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3
		WHERE id = $1`, id, next, reason)
	if err != nil {
		return fmt.Errorf("mark mail %d failed: %w", id, err)
	}
	return nil
}

// OutboxRow is the delivery state of a message, for tests and operators.
type OutboxRow struct {
	ID            int64        `db:"id"`
	Kind          string       `db:"kind"`
	Recipient     string       `db:"recipient"`
	Attempts      int          `db:"attempts"`
	NextAttemptAt time.Time    `db:"next_attempt_at"`
	SentAt        sql.NullTime `db:"sent_at"`
	SentVia       string       `db:"sent_via"`
	LastError     string       `db:"last_error"`
}

// OutboxRows lists every message of the outbox, oldest first.
func (s *Store) OutboxRows(ctx context.Context) ([]OutboxRow, error) {
	var rows []OutboxRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, kind, recipient, attempts, next_attempt_at, sent_at, sent_via, last_error
		FROM outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("outbox rows: %w", err)
	}
	return rows, nil
}
