package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docodego/sessions/db"
)

// Administrators hold a role in the database (migration 00015). It is granted and taken
// away only from the command line (Roster), never by sign-up or by another page; every
// admin page needs the role, a fresh proof of password and the CSRF token (handlers'
// requireAdmin), and every request through that guard is written to the admin audit trail.

// ErrNoAccount refuses a grant or revoke for an email no account has.
var ErrNoAccount = errors.New("no account has that email")

// adminReauthWindow is the admin pages' re-authentication window when REAUTH_WINDOW is
// off: people may turn the rule off for their own sessions, never for administrators.
const adminReauthWindow = 10 * time.Minute

// IsAdmin reports whether the signed-in person holds the administrator role now: read on
// every admin request, so a revoke from the command line takes effect at once.
func (s *Service) IsAdmin(ctx context.Context, cur Current) (bool, error) {
	ok, err := s.store.IsAdmin(ctx, cur.UserID)
	if err != nil {
		return false, fmt.Errorf("admin check: %w", err)
	}
	return ok, nil
}

// AdminFresh reports whether the session proved the password recently enough for the admin
// pages: within REAUTH_WINDOW, or adminReauthWindow when that rule is off.
func (s *Service) AdminFresh(cur Current) bool {
	window := s.conf().ReauthWindow
	if window <= 0 {
		window = adminReauthWindow
	}
	return cur.Session.ProvenAt.After(s.now().Add(-window))
}

// AdminRequest is one request through the admin guard, as the audit trail records it.
type AdminRequest struct {
	Admin     Current
	Action    string // "GET /admin/users/:id": the method and route, never the query
	Target    string // the person acted on, "" when none
	IP        string
	UserAgent string
	Status    int
	Details   db.Details
}

// RecordAdminRequest writes one admin request to the audit trail.
func (s *Service) RecordAdminRequest(ctx context.Context, r AdminRequest) error {
	err := s.store.InsertAdminAudit(ctx, db.AdminAuditEntry{
		ActorUserID: db.NullID(r.Admin.UserID), ActorEmail: r.Admin.Email, ActorSession: db.NullID(r.Admin.Session.ID),
		Action: r.Action, TargetUserID: db.NullID(r.Target), IP: truncateUTF8(r.IP, 64),
		UserAgent: cleanUserAgent(r.UserAgent), Status: r.Status, CreatedAt: s.now(), Details: r.Details,
	})
	if err != nil {
		return fmt.Errorf("record admin request: %w", err)
	}
	return nil
}

// Roster grants and takes away the administrator role: the command line's side, which
// needs only the store (no password hashing, no user-agent parser).
type Roster struct {
	store *db.Store
	now   func() time.Time
}

// NewRoster builds the command line's roster of administrators.
func NewRoster(store *db.Store) *Roster { return &Roster{store: store, now: time.Now} }

// Grant makes the account with email an administrator; by names who ran the command (an
// OS user) and from where. False when the account held the role already.
func (r *Roster) Grant(ctx context.Context, email, by, from string) (bool, error) {
	return r.change(ctx, "grant", email, by, from, func(tx *db.Tx, userID string, now time.Time) (bool, error) {
		return tx.GrantAdmin(ctx, userID, by, now)
	})
}

// Revoke takes the administrator role away from the account with email; false when it
// did not hold it.
func (r *Roster) Revoke(ctx context.Context, email, by, from string) (bool, error) {
	return r.change(ctx, "revoke", email, by, from, func(tx *db.Tx, userID string, _ time.Time) (bool, error) {
		return tx.RevokeAdmin(ctx, userID)
	})
}

// List is every administrator, oldest grant first.
func (r *Roster) List(ctx context.Context) ([]db.Admin, error) {
	admins, err := r.store.Admins(ctx)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return admins, nil
}

// change applies a grant or revoke and its audit entry in one transaction.
func (r *Roster) change(ctx context.Context, action, email, by, from string,
	apply func(tx *db.Tx, userID string, now time.Time) (bool, error)) (bool, error) {
	email = strings.TrimSpace(email)
	u, err := r.store.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return false, ErrNoAccount
	}
	if err != nil {
		return false, fmt.Errorf("admin %s: %w", action, err)
	}
	var changed bool
	err = r.store.InTx(ctx, func(tx *db.Tx) error {
		now := r.now()
		if changed, err = apply(tx, u.ID, now); err != nil {
			return err
		}
		return tx.InsertAdminAudit(ctx, db.AdminAuditEntry{
			ActorEmail: "cli:" + by, Action: "admin " + action, TargetUserID: db.NullID(u.ID), IP: from,
			UserAgent: "sessions admin", CreatedAt: now, Details: db.Details{"email": u.Email, "changed": changed},
		})
	})
	if err != nil {
		return false, fmt.Errorf("admin %s: %w", action, err)
	}
	return changed, nil
}

// AdminAudit is the newest entries of the administrators' audit trail.
func (s *Service) AdminAudit(ctx context.Context, limit int) ([]db.AdminAuditEntry, error) {
	rows, err := s.store.AdminAudit(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("admin audit: %w", err)
	}
	return rows, nil
}
