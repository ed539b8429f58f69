package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// The re-authentication window ("sudo mode", ASVS V3.3.4): ending a session other than
// one's own needs the password proven within ReauthWindow. A sign-in, a password change
// and Reauthenticate are proofs; each moves the session's proven_at. The check reads the
// acting session's locked row inside the write's transaction (db "Lock order").

// freshSince is the time a proof must be later than at now; zero when the rule is off.
// A proof exactly one window old no longer counts, as in better-auth's freshSessionMiddleware
// (Date.now() - createdAt >= freshAge is stale).
func (s *Service) freshSince(now time.Time) time.Time {
	if s.conf().ReauthWindow <= 0 {
		return time.Time{}
	}
	return now.Add(-s.conf().ReauthWindow)
}

// Fresh reports whether the session proved the password within the window, as the
// request read it: it decides whether a form asks for the password. The write itself
// checks again on the locked row.
func (s *Service) Fresh(cur Current) bool {
	return cur.Session.ProvenAt.After(s.freshSince(s.now()))
}

// Reauthenticate checks the password of the signed-in person and, when it is right,
// starts the window for this session and records a reauthenticated event, in one
// transaction that goes on only while the session is live and the password is still the
// one checked. Wrong passwords are limited per session like a password change's current
// password (PasswordCheckLimit within SignInWindow), and the hash waits for a slot.
func (s *Service) Reauthenticate(ctx context.Context, cur Current, password string) error {
	attempt, err := s.hit(ctx, db.LimitPasswordCheck, cur.Session.ID, s.conf().PasswordCheckLimit, s.conf().SignInWindow)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, cur.UserID)
	if err != nil {
		return fmt.Errorf("reauthenticate: %w", err)
	}
	ok, err := s.verifyPassword(ctx, password, u.PasswordHash)
	if err != nil {
		return fmt.Errorf("reauthenticate: %w", err)
	}
	if !ok {
		return ErrWrongPassword
	}
	if err := s.store.ForgetHit(ctx, attempt); err != nil {
		return fmt.Errorf("reauthenticate: %w", err)
	}
	err = s.inActingTx(ctx, cur, func(tx *db.Tx) error {
		current, err := tx.LockCredential(ctx, cur.UserID) // held already: no new wait
		if err != nil {
			return err
		}
		if current != u.PasswordHash {
			return ErrWrongPassword // changed meanwhile: this password no longer is the account's
		}
		now := s.now()
		if err := tx.MarkProven(ctx, cur.Session.ID, now); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, db.SessionEvent(db.EventReauthenticated, cur.Session, &cur.Session, now))
	})
	if err != nil {
		return fmt.Errorf("reauthenticate: %w", err)
	}
	return nil
}
