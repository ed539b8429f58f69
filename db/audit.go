package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Audit event types: what happened to an account.
const (
	EventSignUp               = "sign_up"
	EventSignIn               = "sign_in"
	EventSignInFailed         = "sign_in_failed"
	EventSignOut              = "sign_out"
	EventSessionRevoked       = "session_revoked"
	EventOtherSessionsRevoked = "other_sessions_revoked"
	EventSessionExpired       = "session_expired"
	EventPasswordChanged      = "password_changed"
)

// AuditEvent is a row of the append-only audit log. SessionID is the session the event
// concerns, ActorSessionID the one that acted (for a revoke: which device ended which).
// Details never hold tokens or passwords.
type AuditEvent struct {
	ID             int64          `db:"id"`
	UserID         string         `db:"user_id"`
	Type           string         `db:"type"`
	SessionID      sql.NullString `db:"session_id"`
	ActorSessionID sql.NullString `db:"actor_session_id"`
	IP             string         `db:"ip"`
	DeviceLabel    string         `db:"device_label"`
	CreatedAt      time.Time      `db:"created_at"`
	Details        Details        `db:"details"`
}

// Details is the free-form part of an audit event, stored as jsonb.
type Details map[string]any

// Value stores Details as JSON.
func (d Details) Value() (driver.Value, error) {
	if d == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(map[string]any(d))
	if err != nil {
		return nil, fmt.Errorf("audit details: %w", err)
	}
	return b, nil
}

// Scan reads Details from jsonb.
func (d *Details) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*d = Details{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("audit details: cannot scan %T", src)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	*d = m
	return nil
}

// String returns a detail as a string, or "".
func (d Details) String(key string) string {
	s, _ := d[key].(string)
	return s
}

// Int returns a numeric detail, or 0.
func (d Details) Int(key string) int {
	switch v := d[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	}
	return 0
}

// NullID turns an optional uuid into a column value ("" is NULL).
func NullID(id string) sql.NullString { return sql.NullString{String: id, Valid: id != ""} }

const auditColumns = `id, user_id, type, session_id, actor_session_id, ip, device_label, created_at, details`

// InsertAuditEvent appends an event in the transaction of the action it records: it exists
// if and only if the action commits. The Store logs it once the commit succeeds.
func (t *Tx) InsertAuditEvent(ctx context.Context, e AuditEvent) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	err := t.tx.QueryRowxContext(ctx, `
		INSERT INTO audit_events (user_id, type, session_id, actor_session_id, ip, device_label, created_at, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		e.UserID, e.Type, e.SessionID, e.ActorSessionID, e.IP, e.DeviceLabel, e.CreatedAt, e.Details).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert audit event %s: %w", e.Type, err)
	}
	t.events = append(t.events, e)
	return nil
}

// EventCursor is a position in a user's event list, newest first: events strictly older
// than (CreatedAt, ID) come after it.
type EventCursor struct {
	CreatedAt time.Time
	ID        int64
}

// AuditEvents lists a user's events newest first, after the cursor when one is given.
// Keyset pagination: the index (user_id, created_at DESC, id DESC) serves every page alike.
func (s *Store) AuditEvents(ctx context.Context, userID string, before *EventCursor, limit int) ([]AuditEvent, error) {
	var rows []AuditEvent
	var err error
	if before == nil {
		err = s.db.SelectContext(ctx, &rows, `
			SELECT `+auditColumns+` FROM audit_events
			WHERE user_id = $1
			ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	} else {
		err = s.db.SelectContext(ctx, &rows, `
			SELECT `+auditColumns+` FROM audit_events
			WHERE user_id = $1 AND (created_at, id) < ($2, $3)
			ORDER BY created_at DESC, id DESC LIMIT $4`, userID, before.CreatedAt, before.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("audit events of %s: %w", userID, err)
	}
	return rows, nil
}

// MarkSessionExpired records, once, that a session was found expired: the first caller
// gets true and writes the event in the same transaction; later callers get false.
func (t *Tx) MarkSessionExpired(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		UPDATE sessions SET expired_logged_at = $2
		WHERE id = $1 AND expired_logged_at IS NULL AND revoked_at IS NULL`, id, now)
	if err != nil {
		return false, fmt.Errorf("mark session %s expired: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark session %s expired: %w", id, err)
	}
	return n == 1, nil
}

// EndedSession is a revoked or expired session, with the device that ended it.
type EndedSession struct {
	Session
	EndedAt   time.Time      `db:"ended_at"`
	ByBrowser sql.NullString `db:"by_browser"`
	ByOS      sql.NullString `db:"by_os"`
}

// EndedSessions lists a user's sessions that were revoked or expired between since and
// now, most recently ended first. idle is the idle timeout that ends unused sessions,
// lifetime the maximum lifetime in force (it ends sessions before their stored end when
// it was lowered since they began).
func (s *Store) EndedSessions(ctx context.Context, userID string, since, now time.Time, idle, lifetime time.Duration, limit int) ([]EndedSession, error) {
	var rows []EndedSession
	err := s.db.SelectContext(ctx, &rows, `
		SELECT * FROM (
			SELECT s.id, s.user_id, s.user_agent, s.ip, s.browser, s.os, s.device_type, s.label,
				s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.revoked_by_session_id,
				s.revoke_reason,
				LEAST(s.revoked_at, s.expires_at, s.last_seen_at + make_interval(secs => $4),
					s.created_at + make_interval(secs => $6)) AS ended_at,
				b.browser AS by_browser, b.os AS by_os
			FROM sessions s LEFT JOIN sessions b ON b.id = s.revoked_by_session_id
			WHERE s.user_id = $1
		) e
		WHERE ended_at >= $2 AND ended_at <= $3
		ORDER BY ended_at DESC, id LIMIT $5`, userID, since, now, idle.Seconds(), limit, lifetime.Seconds())
	if err != nil {
		return nil, fmt.Errorf("ended sessions of %s: %w", userID, err)
	}
	return rows, nil
}

// RememberDevice records that a browser (by the hash of its device id) signed in to the
// account, and reports whether it was new for this account.
func (t *Tx) RememberDevice(ctx context.Context, userID string, deviceHash []byte, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO known_devices (user_id, device_hash, first_seen_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, userID, deviceHash, now)
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remember device: %w", err)
	}
	return n == 1, nil
}

// Notice is an in-app "new sign-in" notice with the session it is about.
type Notice struct {
	ID        int64     `db:"id"`
	SessionID string    `db:"session_id"`
	CreatedAt time.Time `db:"created_at"`
	Browser   string    `db:"browser"`
	OS        string    `db:"os"`
	IP        string    `db:"ip"`
}

// CreateNotice tells the user's other sessions about a new sign-in.
func (t *Tx) CreateNotice(ctx context.Context, userID, sessionID string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO notices (user_id, session_id, created_at) VALUES ($1, $2, $3)`, userID, sessionID, now)
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	return nil
}

// OpenNotices lists the notices a session should see: not dismissed, about another
// session that is still live, and newer than the viewing session itself.
func (s *Store) OpenNotices(ctx context.Context, userID, viewerID string, now time.Time, limit int) ([]Notice, error) {
	var rows []Notice
	err := s.db.SelectContext(ctx, &rows, `
		SELECT n.id, n.session_id, n.created_at, s.browser, s.os, s.ip
		FROM notices n
		JOIN sessions s ON s.id = n.session_id
		JOIN sessions v ON v.id = $2
		WHERE n.user_id = $1 AND n.dismissed_at IS NULL AND n.session_id <> $2
			AND s.revoked_at IS NULL AND s.expires_at > $3 AND n.created_at > v.created_at
		ORDER BY n.created_at DESC, n.id DESC LIMIT $4`, userID, viewerID, now, limit)
	if err != nil {
		return nil, fmt.Errorf("open notices of %s: %w", userID, err)
	}
	return rows, nil
}

// DismissNotice hides a notice for the user; dismissing an unknown or another user's
// notice is ErrNotFound.
func (s *Store) DismissNotice(ctx context.Context, userID string, id int64, now time.Time) error {
	var got int64
	err := s.db.GetContext(ctx, &got, `
		UPDATE notices SET dismissed_at = COALESCE(dismissed_at, $3)
		WHERE id = $1 AND user_id = $2 RETURNING id`, id, userID, now)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("dismiss notice %d: %w", id, err)
	}
	return nil
}

// auditLog writes a structured line per committed audit event; a Store without a logger
// stays silent.
type auditLog struct {
	logger atomic.Pointer[slog.Logger]
}

// LogAuditEvents makes the store log every audit event once its transaction commits.
func (s *Store) LogAuditEvents(log *slog.Logger) { s.audit.logger.Store(log) }

func (a *auditLog) log(ctx context.Context, events []AuditEvent) {
	log := a.logger.Load()
	if log == nil {
		return
	}
	for _, e := range events {
		attrs := []slog.Attr{
			slog.Int64("event_id", e.ID), slog.String("type", e.Type), slog.String("user_id", e.UserID),
			slog.String("session_id", e.SessionID.String), slog.String("actor_session_id", e.ActorSessionID.String),
			slog.String("ip", e.IP), slog.String("device", e.DeviceLabel),
		}
		if n, ok := e.Details["count"]; ok {
			attrs = append(attrs, slog.Any("count", n))
		}
		if v, ok := e.Details["new_device"]; ok {
			attrs = append(attrs, slog.Any("new_device", v))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	}
}
