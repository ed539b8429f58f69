package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// Sessions lists the user's live sessions, the current one first.
func (s *Service) Sessions(ctx context.Context, cur Current) ([]db.Session, error) {
	now := s.now()
	rows, err := s.store.ActiveSessions(ctx, cur.UserID, now, now.Add(-s.cfg.IdleTimeout))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	for i, row := range rows {
		if row.ID == cur.Session.ID && i > 0 {
			copy(rows[1:i+1], rows[:i])
			rows[0] = row
			break
		}
	}
	return rows, nil
}

// RevokeSession ends one of the user's other sessions. An id that is malformed, unknown,
// another user's or already ended is ErrSessionNotFound: all look the same from outside.
func (s *Service) RevokeSession(ctx context.Context, cur Current, id string) (db.Session, error) {
	id, ok := ParseSessionID(id)
	if !ok {
		return db.Session{}, ErrSessionNotFound
	}
	if id == cur.Session.ID {
		return db.Session{}, ErrCurrentSession
	}
	var ended db.Session
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		var err error
		ended, err = tx.RevokeSession(ctx, cur.UserID, id, cur.Session.ID, "revoked", s.now())
		if errors.Is(err, db.ErrNotFound) {
			return ErrSessionNotFound
		}
		if err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, sessionEvent(db.EventSessionRevoked, ended, &cur.Session, ended.RevokedAt.Time))
	})
	if err != nil {
		return db.Session{}, fmt.Errorf("revoke session: %w", err)
	}
	return ended, nil
}

// RevokeOtherSessions ends every session of the user but the current one.
func (s *Service) RevokeOtherSessions(ctx context.Context, cur Current) ([]db.Session, error) {
	var ended []db.Session
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		var err error
		now := s.now()
		if ended, err = tx.RevokeOtherSessions(ctx, cur.UserID, cur.Session.ID, "revoked", now); err != nil {
			return err
		}
		return recordRevokeOthers(ctx, tx, cur, ended, now)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke other sessions: %w", err)
	}
	return ended, nil
}

// SessionStatus tells the state of one of the user's sessions.
type SessionStatus struct {
	ID        string
	Status    string
	RevokedAt *time.Time
}

// Status reports whether one of the user's sessions is active, revoked or expired.
func (s *Service) Status(ctx context.Context, cur Current, id string) (SessionStatus, error) {
	id, ok := ParseSessionID(id)
	if !ok {
		return SessionStatus{}, ErrSessionNotFound
	}
	row, err := s.store.UserSession(ctx, cur.UserID, id)
	if errors.Is(err, db.ErrNotFound) {
		return SessionStatus{}, ErrSessionNotFound
	}
	if err != nil {
		return SessionStatus{}, fmt.Errorf("session status: %w", err)
	}
	st := SessionStatus{ID: row.ID, Status: s.cfg.Status(row, s.now())}
	if row.RevokedAt.Valid {
		t := row.RevokedAt.Time
		st.RevokedAt = &t
	}
	return st, nil
}
