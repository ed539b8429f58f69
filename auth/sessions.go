package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docodego/sessions/db"
)

// Sessions lists the user's live sessions, the current one first, from the database: one
// round trip. (A per-user list cache checked against users.security_rev lived here; on
// random users' traffic it saved nothing measurable, see BENCHMARKS.md "Caches".)
func (s *Service) Sessions(ctx context.Context, cur Current) ([]db.Session, error) {
	now := s.now()
	rows, err := s.store.ActiveSessions(ctx, cur.UserID, now, now.Add(-s.conf().IdleTimeout), now.Add(-s.conf().AbsoluteLifetime))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return currentFirst(rows, cur), nil
}

// currentFirst moves the current session to the front of rows, the others keeping their order.
func currentFirst(rows []db.Session, cur Current) []db.Session {
	for i := range rows {
		if rows[i].ID == cur.Session.ID {
			current := rows[i]
			copy(rows[1:i+1], rows[:i])
			rows[0] = current
			break
		}
	}
	return rows
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
	// One statement, one round trip, the revocation and its event.
	now := s.now()
	ended, err := s.store.RevokeSessionAuditedFresh(ctx, cur.UserID, id, &cur.Session, "revoked", now, db.EventSessionRevoked, s.freshSince(now))
	switch {
	case errors.Is(err, db.ErrSessionNotFresh):
		return db.Session{}, fmt.Errorf("revoke session: %w", ErrReauthRequired)
	case errors.Is(err, db.ErrNotFound):
		return db.Session{}, fmt.Errorf("revoke session: %w", ErrSessionNotFound)
	case errors.Is(err, db.ErrSessionEnded):
		return db.Session{}, fmt.Errorf("revoke session: %w", ErrSessionRevoked)
	}
	if err != nil {
		return db.Session{}, fmt.Errorf("revoke session: %w", err)
	}
	return ended, nil
}

// RevokeOtherSessions ends every session of the user but the current one.
func (s *Service) RevokeOtherSessions(ctx context.Context, cur Current) ([]db.Session, error) {
	var ended []db.Session
	err := s.inFreshActingTx(ctx, cur, func(tx *db.Tx) error {
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

// inActingTx runs fn in a transaction that first locks the user's row and the acting
// session's (db "Lock order") and goes on only while that session is live: a write made
// on behalf of a session commits only if no revocation of it committed first, and a
// revocation that comes later waits for it. An ended session is ErrSessionRevoked.
func (s *Service) inActingTx(ctx context.Context, cur Current, fn func(tx *db.Tx) error) error {
	return s.store.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.LockActingSession(ctx, cur.UserID, cur.Session.ID); err != nil {
			if errors.Is(err, db.ErrSessionEnded) {
				return ErrSessionRevoked
			}
			return err
		}
		return fn(tx)
	})
}

// inFreshActingTx is inActingTx for ending other sessions: the acting session must also
// have proved the password within the re-authentication window (ErrReauthRequired), read
// from its locked row.
func (s *Service) inFreshActingTx(ctx context.Context, cur Current, fn func(tx *db.Tx) error) error {
	return s.store.InTx(ctx, func(tx *db.Tx) error {
		err := tx.LockFreshActingSession(ctx, cur.UserID, cur.Session.ID, s.freshSince(s.now()))
		switch {
		case errors.Is(err, db.ErrSessionEnded):
			return ErrSessionRevoked
		case errors.Is(err, db.ErrSessionNotFresh):
			return ErrReauthRequired
		case err != nil:
			return err
		}
		return fn(tx)
	})
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
	st := SessionStatus{ID: row.ID, Status: s.conf().Status(row, s.now())}
	if row.RevokedAt.Valid {
		t := row.RevokedAt.Time
		st.RevokedAt = &t
	}
	return st, nil
}

// MaxSessionName is the longest name a person may give a session, in characters.
const MaxSessionName = 40

// RenameSession names one of the person's live sessions ("Work laptop"); an empty name
// takes the name away. The name is one line of at most MaxSessionName characters;
// ErrSessionNotFound for an id that is malformed, unknown, another's or ended.
func (s *Service) RenameSession(ctx context.Context, cur Current, id, name string) error {
	id, ok := ParseSessionID(id)
	if !ok {
		return ErrSessionNotFound
	}
	name = strings.TrimSpace(name)
	switch {
	case !oneLine(name):
		return &InputError{Field: "name", Code: "name_device.error.invalid"}
	case utf8.RuneCountInString(name) > MaxSessionName:
		return &InputError{Field: "name", Code: "name_device.error.too_long"}
	}
	err := s.store.RenameSession(ctx, cur.UserID, id, name)
	if errors.Is(err, db.ErrNotFound) {
		return ErrSessionNotFound
	}
	if err != nil {
		return fmt.Errorf("rename session: %w", err)
	}
	return nil
}
