package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PolicyValue is a row of policies: an administrator's value of one policy (migration 00016).
type PolicyValue struct {
	Name      string    `db:"name"`
	Value     string    `db:"value"`
	UpdatedAt time.Time `db:"updated_at"`
	UpdatedBy string    `db:"updated_by"`
}

// PolicyChange is a row of policy_history.
type PolicyChange struct {
	ID        int64          `db:"id"`
	Name      string         `db:"name"`
	OldValue  string         `db:"old_value"`
	NewValue  string         `db:"new_value"`
	ByUserID  sql.NullString `db:"by_user_id"`
	ByEmail   string         `db:"by_email"`
	IP        string         `db:"ip"`
	ChangedAt time.Time      `db:"changed_at"`
}

// EventSessionEndedByPolicy: an administrator's policy change ended the session.
const EventSessionEndedByPolicy = "session_ended_by_policy"

// Policies is every policy an administrator has set.
func (s *Store) Policies(ctx context.Context) ([]PolicyValue, error) {
	var rows []PolicyValue
	if err := s.db.SelectContext(ctx, &rows, `SELECT name, value, updated_at, updated_by FROM policies`); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return rows, nil
}

// LockPolicies takes the policies for a change (one change at a time; reads go on) and
// returns them as they are.
func (t *Tx) LockPolicies(ctx context.Context) ([]PolicyValue, error) {
	if _, err := t.tx.ExecContext(ctx, `LOCK TABLE policies IN EXCLUSIVE MODE`); err != nil {
		return nil, fmt.Errorf("lock policies: %w", err)
	}
	var rows []PolicyValue
	if err := t.tx.SelectContext(ctx, &rows, `SELECT name, value, updated_at, updated_by FROM policies`); err != nil {
		return nil, fmt.Errorf("lock policies: %w", err)
	}
	return rows, nil
}

// SetPolicy stores one policy's new value and its history row.
func (t *Tx) SetPolicy(ctx context.Context, c PolicyChange) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO policies (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
		c.Name, c.NewValue, c.ChangedAt, c.ByEmail)
	if err != nil {
		return fmt.Errorf("set policy %s: %w", c.Name, err)
	}
	_, err = t.tx.ExecContext(ctx, `
		INSERT INTO policy_history (name, old_value, new_value, by_user_id, by_email, ip, changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.Name, c.OldValue, c.NewValue, c.ByUserID, c.ByEmail, c.IP, c.ChangedAt)
	if err != nil {
		return fmt.Errorf("set policy %s: history: %w", c.Name, err)
	}
	return nil
}

// PolicyHistory is the newest policy changes.
func (s *Store) PolicyHistory(ctx context.Context, limit int) ([]PolicyChange, error) {
	var rows []PolicyChange
	err := s.db.SelectContext(ctx, &rows, `
		SELECT id, name, old_value, new_value, by_user_id, by_email, ip, changed_at
		FROM policy_history ORDER BY changed_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("policy history: %w", err)
	}
	return rows, nil
}

// PolicyCut says which live sessions a tightened policy ends: a zero time or limit cuts
// nothing by that rule.
type PolicyCut struct {
	Now              time.Time
	Reason           string
	IdleSince        time.Time // last seen before this
	CreatedBefore    time.Time // begun before this
	PersistentBefore time.Time // "Keep me signed in" sessions begun before this
	Limit            int       // live sessions a person may keep (the most recently active)
}

// policyVictimsSQL names the live sessions a cut ends. $1 now, $2 idle, $3 created, $4
// persistent, $5 limit (0: none).
const policyVictimsSQL = `
	WITH live AS (
		SELECT id, user_id, last_seen_at, created_at, persistent,
			row_number() OVER (PARTITION BY user_id ORDER BY last_seen_at DESC, created_at DESC, id DESC) AS rank
		FROM sessions
		WHERE revoked_at IS NULL AND expired_logged_at IS NULL AND expires_at > $1
	), victims AS (
		SELECT id, user_id FROM live
		WHERE ($2::timestamptz IS NOT NULL AND last_seen_at < $2)
			OR ($3::timestamptz IS NOT NULL AND created_at < $3)
			OR ($4::timestamptz IS NOT NULL AND persistent AND created_at < $4)
			OR ($5::int > 0 AND rank > $5)
	)`

// EndSessionsForPolicy ends the live sessions a tightened policy no longer allows, each
// with a session_ended_by_policy event, and returns how many. Their users rows are locked
// first, in id order, as every revoke takes them (lock 1 of acting.go's order), so it
// cannot deadlock with a person's own revoke, and no sign-in counts meanwhile.
func (t *Tx) EndSessionsForPolicy(ctx context.Context, c PolicyCut) (int, error) {
	args := []any{c.Now, nullTime(c.IdleSince), nullTime(c.CreatedBefore), nullTime(c.PersistentBefore), c.Limit}
	_, err := t.tx.ExecContext(ctx, policyVictimsSQL+`
		SELECT 1 FROM users WHERE id IN (SELECT user_id FROM victims) ORDER BY id FOR UPDATE`, args...)
	if err != nil {
		return 0, fmt.Errorf("end sessions for policy: lock users: %w", err)
	}
	res, err := t.tx.ExecContext(ctx, policyVictimsSQL+`, ended AS (
		UPDATE sessions SET revoked_at = $1, revoke_reason = $6
		WHERE id IN (SELECT id FROM victims) AND revoked_at IS NULL
		RETURNING id, user_id, ip, label, browser, os
	)
	INSERT INTO audit_events (user_id, type, session_id, ip, device_label, created_at, details)
	SELECT user_id, '`+EventSessionEndedByPolicy+`', id, ip, label, $1,
		jsonb_build_object('browser', browser, 'os', os, 'reason', $6::text)
	FROM ended`, append(args, c.Reason)...)
	if err != nil {
		return 0, fmt.Errorf("end sessions for policy: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("end sessions for policy: %w", err)
	}
	return int(n), nil
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }
