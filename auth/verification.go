package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/docodego/sessions/db"
)

// Errors of email verification; each maps to better-auth's answer (handlers).
var (
	ErrVerificationInvalid = errors.New("invalid verification token") // unknown, malformed or already used
	ErrVerificationExpired = errors.New("verification token expired")
	ErrAlreadyVerified     = errors.New("email already verified")
)

// VerifyEmailMail is the outbox payload of a verification mail. Token is the link's
// secret: the outbox drops it once the mail is sent (db.MarkMailSent); the database
// keeps only its hash otherwise.
type VerifyEmailMail struct {
	Token string `json:"token"`
	Hours int    `json:"hours"` // how long the link works
	Lang  string `json:"lang"`
}

// queueVerification stores a new single-use link for the user's address and queues the
// mail that carries it, in the caller's transaction. Older links stop working: only the
// latest mail's link verifies, so a link left in an old mail (or a mailbox someone else
// reads) is worth nothing once a new one is sent.
func (s *Service) queueVerification(ctx context.Context, tx *db.Tx, userID, email, lang string) error {
	token, hash, err := NewToken()
	if err != nil {
		return err
	}
	now := s.now()
	if err := tx.RetireEmailVerifications(ctx, userID, now); err != nil {
		return err
	}
	if err := tx.CreateEmailVerification(ctx, hash, userID, email, now, now.Add(s.conf().VerificationTTL)); err != nil {
		return err
	}
	return tx.EnqueueMail(ctx, db.MailVerifyEmail, email, VerifyEmailMail{
		Token: token, Hours: int(s.conf().VerificationTTL.Hours()), Lang: lang,
	}, now)
}

// ResendVerification mails the signed-in person a new link, at most VerifyMailLimit
// times per VerifyMailWindow (*TooManyAttemptsError past it).
func (s *Service) ResendVerification(ctx context.Context, cur Current, lang string) error {
	u, err := s.store.UserByID(ctx, cur.UserID)
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	if u.EmailVerifiedAt.Valid {
		return ErrAlreadyVerified
	}
	if _, err := s.hit(ctx, db.LimitVerifyMail, u.ID, s.conf().VerifyMailLimit, s.conf().VerifyMailWindow); err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx *db.Tx) error { return s.queueVerification(ctx, tx, u.ID, u.Email, lang) })
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	return nil
}

// VerifyRequest is the outbox payload of a signed-out request for a verification mail.
type VerifyRequest struct {
	Lang string `json:"lang"`
}

// RequestVerificationMail is the signed-out form of ResendVerification: "mail a link to
// this address". It does the same work whatever the email names (a registered account,
// a verified one, nobody): one count against the address's limit (VerifyRequestLimit, an
// IPv6 /64; *TooManyAttemptsError past it) and one request queued; nothing about the
// account is read here. The mail worker decides later (ExpandVerificationRequest), so
// neither the answer nor its timing says which accounts exist.
func (s *Service) RequestVerificationMail(ctx context.Context, email, lang, ip string) error {
	email = strings.TrimSpace(email)
	if !oneLine(email) || len(email) > maxEmailLength {
		return &InputError{Field: "email", Code: "error.email_invalid"}
	}
	if _, err := s.hit(ctx, db.LimitVerifyRequest, addressKey(ip), s.conf().VerifyRequestLimit, s.conf().VerifyMailWindow); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		return tx.EnqueueMail(ctx, db.MailVerifyRequest, email, VerifyRequest{Lang: lang}, s.now())
	})
	if err != nil {
		return fmt.Errorf("request verification mail: %w", err)
	}
	return nil
}

// ExpandVerificationRequest handles a queued signed-out request in the mail worker's
// transaction: a new link for the account with that email if there is one, it is
// unverified and under its own limit (VerifyMailLimit); in every other case nothing.
func (s *Service) ExpandVerificationRequest(ctx context.Context, tx *db.Tx, m db.OutboxMail) error {
	var p VerifyRequest
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return fmt.Errorf("verification request %d: %w", m.ID, err)
	}
	u, err := s.store.UserByEmail(ctx, m.Recipient)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("verification request %d: %w", m.ID, err)
	}
	if u.EmailVerifiedAt.Valid {
		return nil
	}
	_, err = s.hit(ctx, db.LimitVerifyMail, u.ID, s.conf().VerifyMailLimit, s.conf().VerifyMailWindow)
	var tooMany *TooManyAttemptsError
	if errors.As(err, &tooMany) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.queueVerification(ctx, tx, u.ID, u.Email, p.Lang)
}

// VerifyEmail follows a link: once, before it expires, and only for the address it was
// sent to. It marks the address verified (security mail may then go to it).
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	hash, ok := ParseToken(token)
	if !ok {
		return ErrVerificationInvalid
	}
	now := s.now()
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		v, err := tx.UseEmailVerification(ctx, hash, now)
		if errors.Is(err, db.ErrNotFound) {
			return ErrVerificationInvalid
		}
		if err != nil {
			return err
		}
		if !now.Before(v.ExpiresAt) {
			return ErrVerificationExpired
		}
		current, err := tx.MarkEmailVerified(ctx, v.UserID, v.Email, now)
		if err != nil {
			return err
		}
		if !current {
			return ErrVerificationInvalid
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	return nil
}
