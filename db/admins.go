package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Admin is an administrator: a row of admins with the account it names.
type Admin struct {
	UserID    string    `db:"user_id"`
	Email     string    `db:"email"`
	Name      string    `db:"name"`
	GrantedAt time.Time `db:"granted_at"`
	GrantedBy string    `db:"granted_by"`
}

// AdminAuditEntry is a row of the administrators' audit trail (migration 00015).
type AdminAuditEntry struct {
	ID           int64          `db:"id"`
	ActorUserID  sql.NullString `db:"actor_user_id"`
	ActorEmail   string         `db:"actor_email"`
	ActorSession sql.NullString `db:"actor_session"`
	Action       string         `db:"action"`
	TargetUserID sql.NullString `db:"target_user_id"`
	IP           string         `db:"ip"`
	UserAgent    string         `db:"user_agent"`
	Status       int            `db:"status"`
	CreatedAt    time.Time      `db:"created_at"`
	Details      Details        `db:"details"`
}

// GrantAdmin makes the user an administrator; false when they were one already.
func (t *Tx) GrantAdmin(ctx context.Context, userID, by string, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO admins (user_id, granted_at, granted_by) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO NOTHING`, userID, now, by)
	if err != nil {
		return false, fmt.Errorf("grant admin %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("grant admin %s: %w", userID, err)
	}
	return n == 1, nil
}

// RevokeAdmin takes the role away; false when the user did not hold it.
func (t *Tx) RevokeAdmin(ctx context.Context, userID string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM admins WHERE user_id = $1`, userID)
	if err != nil {
		return false, fmt.Errorf("revoke admin %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("revoke admin %s: %w", userID, err)
	}
	return n == 1, nil
}

// IsAdmin reports whether the user holds the administrator role now.
func (s *Store) IsAdmin(ctx context.Context, userID string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM admins WHERE user_id = $1)`, userID)
	if err != nil {
		return false, fmt.Errorf("is admin %s: %w", userID, err)
	}
	return ok, nil
}

// Admins lists the administrators, oldest grant first.
func (s *Store) Admins(ctx context.Context) ([]Admin, error) {
	var rows []Admin
	err := s.db.SelectContext(ctx, &rows, `
		SELECT a.user_id, u.email, u.name, a.granted_at, a.granted_by
		FROM admins a JOIN users u ON u.id = a.user_id
		ORDER BY a.granted_at, u.email`)
	if err != nil {
		return nil, fmt.Errorf("admins: %w", err)
	}
	return rows, nil
}

const adminAuditColumns = `id, actor_user_id, actor_email, actor_session, action, target_user_id, ip, user_agent, status, created_at, details`

// InsertAdminAudit appends an entry to the administrators' audit trail in tx.
func (t *Tx) InsertAdminAudit(ctx context.Context, e AdminAuditEntry) error {
	return insertAdminAudit(ctx, t.tx, e)
}

// InsertAdminAudit appends an entry to the administrators' audit trail on its own.
func (s *Store) InsertAdminAudit(ctx context.Context, e AdminAuditEntry) error {
	return insertAdminAudit(ctx, s.db, e)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertAdminAudit(ctx context.Context, x execer, e AdminAuditEntry) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	_, err := x.ExecContext(ctx, `
		INSERT INTO admin_audit (actor_user_id, actor_email, actor_session, action, target_user_id, ip, user_agent, status, created_at, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ActorUserID, e.ActorEmail, e.ActorSession, e.Action, e.TargetUserID, e.IP, e.UserAgent, e.Status, e.CreatedAt, e.Details)
	if err != nil {
		return fmt.Errorf("insert admin audit %s: %w", e.Action, err)
	}
	return nil
}

// AdminAudit lists the newest entries of the administrators' audit trail.
func (s *Store) AdminAudit(ctx context.Context, limit int) ([]AdminAuditEntry, error) {
	var rows []AdminAuditEntry
	err := s.db.SelectContext(ctx, &rows, `
		SELECT `+adminAuditColumns+` FROM admin_audit ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("admin audit: %w", err)
	}
	return rows, nil
}
