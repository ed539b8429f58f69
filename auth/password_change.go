package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/docodego/sessions/db"
)

// ErrWrongPassword means the current password given to change it was not the right one.
var ErrWrongPassword = errors.New("current password is wrong")

// PasswordChange is a request to change the signed-in person's password.
type PasswordChange struct {
	Current      string
	New          string
	RevokeOthers bool // end every other session in the same transaction (ASVS 3.3.3)
}

// ChangePassword checks the current password, applies the policy to the new one, and
// stores its hash and (when asked) ends the other sessions in one transaction: either
// both happen or neither. It returns the sessions it ended. Checking the current
// password has a limit per session (PasswordCheckLimit), so a stolen session cannot
// guess it, and strangers failing to sign in cannot lock the owner out of it.
func (s *Service) ChangePassword(ctx context.Context, cur Current, c Client, pc PasswordChange) ([]db.Session, error) {
	attempt, err := s.hit(ctx, db.LimitPasswordCheck, cur.Session.ID, s.conf().PasswordCheckLimit, s.conf().SignInWindow)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, cur.UserID)
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	ok, err := s.verifyPassword(ctx, pc.Current, u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	if !ok {
		return nil, ErrWrongPassword
	}
	if err := s.store.ForgetHit(ctx, attempt); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	if err := ValidatePassword(pc.New); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, pc.New)
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	var ended []db.Session
	now := s.now()
	err = s.inActingTx(ctx, cur, func(tx *db.Tx) error {
		// The users row and this session are locked (db "Lock order"): a session revoked
		// before this commits makes it write nothing, and a sign-in racing it either
		// commits first (and is ended here) or sees the new hash.
		if pc.RevokeOthers {
			if ended, err = tx.RevokeOtherSessions(ctx, u.ID, cur.Session.ID, "password_changed", now); err != nil {
				return err
			}
		}
		if err := tx.UpdatePasswordHash(ctx, u.ID, u.PasswordHash, hash, now); err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return ErrWrongPassword // changed meanwhile: the current password no longer is
			}
			return err
		}
		// Known browsers' exemptions went with the old password; the browser making the
		// change keeps its place, and one that signs the others out forgets them too.
		if pc.RevokeOthers {
			if _, err := tx.ForgetDevicesExceptSession(ctx, u.ID, cur.Session.ID); err != nil {
				return err
			}
		}
		if err := tx.RebindSessionDevice(ctx, u.ID, cur.Session.ID, now); err != nil {
			return err
		}
		// Proving the current password starts the re-authentication window too.
		if err := tx.MarkProven(ctx, cur.Session.ID, now); err != nil {
			return err
		}
		return recordPasswordChanged(ctx, tx, cur, ended, now)
	})
	if err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	return ended, nil
}
