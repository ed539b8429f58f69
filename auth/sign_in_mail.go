package auth

import (
	"context"

	"github.com/docodego/sessions/db"
)

// SignInDigest is the outbox payload of a digest: the new-device sign-ins that came
// within SignInMailInterval of the account's last "new sign-in" mail, sent together when
// the interval has passed.
type SignInDigest struct {
	Lang     string      `json:"lang"`
	SignIns  []NewSignIn `json:"sign_ins"`
	Interval int         `json:"interval_minutes"`
}

// queueSignInMail tells the owner about a new-device sign-in by mail, in the sign-in's
// transaction: only to a verified address (else the mailer could be aimed at anyone),
// and at most once per SignInMailInterval; sign-ins in between join one digest, due when
// the interval since the last mail has passed.
func (s *Service) queueSignInMail(ctx context.Context, tx *db.Tx, cur Current, m NewSignIn) error {
	verified, err := tx.EmailVerified(ctx, cur.UserID)
	if err != nil || !verified {
		return err
	}
	slot, err := tx.LockSignInMailSlot(ctx, cur.UserID)
	if err != nil {
		return err
	}
	interval := s.conf().SignInMailInterval
	if !slot.LastMailAt.Valid || !m.At.Before(slot.LastMailAt.Time.Add(interval)) {
		if err := tx.EnqueueMail(ctx, db.MailNewSignIn, cur.Email, m, m.At); err != nil {
			return err
		}
		return tx.SetSignInMailSlot(ctx, cur.UserID, m.At, 0)
	}
	if slot.DigestID.Valid {
		added, err := tx.AppendToDigest(ctx, slot.DigestID.Int64, m)
		if err != nil || added {
			return err
		}
	}
	// No digest open (or the open one is being sent): start one, due an interval after
	// the last mail.
	due := slot.LastMailAt.Time.Add(interval)
	id, err := tx.EnqueueMailAt(ctx, db.MailNewSignInDigest, cur.Email, SignInDigest{
		Lang: m.Lang, SignIns: []NewSignIn{m}, Interval: int(interval.Minutes()),
	}, m.At, due)
	if err != nil {
		return err
	}
	return tx.SetSignInMailSlot(ctx, cur.UserID, due, id)
}
