package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/docodego/sessions/db"
)

// SecureAccount is "Not you? Secure your account" about the session id: in one
// transaction it ends that session and every other one but the caller's, forgets every
// known browser but the caller's, and records account_secured about it. Like any
// ending of other sessions it needs the re-authentication window (ErrReauthRequired). It
// returns how many sessions ended. An id that is not another of the user's sessions is
// ErrSessionNotFound (the current one: ErrCurrentSession).
func (s *Service) SecureAccount(ctx context.Context, cur Current, id string) (int, error) {
	id, ok := ParseSessionID(id)
	if !ok {
		return 0, ErrSessionNotFound
	}
	if id == cur.Session.ID {
		return 0, ErrCurrentSession
	}
	var ended []db.Session
	err := s.inFreshActingTx(ctx, cur, func(tx *db.Tx) error {
		if err := tx.LockLiveUserSession(ctx, cur.UserID, id); err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return ErrSessionNotFound
			}
			return err
		}
		now := s.now()
		var err error
		if ended, err = tx.RevokeOtherSessions(ctx, cur.UserID, cur.Session.ID, ReasonAccountSecured, now); err != nil {
			return err
		}
		// Every browser but this one: an intruder who signed in from several keeps all
		// their device cookies, not only the one "Not you?" was pressed on.
		if _, err := tx.ForgetDevicesExceptSession(ctx, cur.UserID, cur.Session.ID); err != nil {
			return err
		}
		e := db.SessionEvent(db.EventAccountSecured, cur.Session, &cur.Session, now)
		e.SessionID = db.NullID(id)
		e.Details["count"] = len(ended)
		return tx.InsertAuditEvent(ctx, e)
	})
	if err != nil {
		return 0, fmt.Errorf("secure account: %w", err)
	}
	return len(ended), nil
}
