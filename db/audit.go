package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
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
	EventSessionBound         = "session_bound"           // DBSC: the browser bound the session to its key
	EventUnboundRefused       = "session_unbound_refused" // a bound session came without its bound cookie
	EventReauthenticated      = "reauthenticated"
	EventSessionEvicted       = "session_evicted"
	EventAccountSecured       = "account_secured"
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

// SessionEvent is the one place that decides an audit event's fields: the event of type
// typ about session s (its user, id, device label, browser and os), acted on by actor
// (nil: by no session, such as an expiry), at the given time. The actor's latest ip, and
// its place, is where the action came from. RevokeSessionAudited builds its event here too.
func SessionEvent(typ string, s Session, actor *Session, at time.Time) AuditEvent {
	e := AuditEvent{
		UserID: s.UserID, Type: typ, SessionID: NullID(s.ID), IP: s.IP, DeviceLabel: s.Label,
		CreatedAt: at, Details: Details{"browser": s.Browser, "os": s.OS},
	}
	place := s.SignInPlace()
	if actor != nil {
		e.ActorSessionID = NullID(actor.ID)
		e.Details["actor_browser"], e.Details["actor_os"] = actor.Browser, actor.OS
		e.IP, place = actor.LatestIP(), actor.LatestPlace()
	}
	if place.Known() { // where ip is, as the location data had it (never coordinates)
		e.Details["city"], e.Details["region"], e.Details["country_code"] = place.City, place.Region, place.CountryCode
	}
	return e
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
