package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/lib/pq"
	"time"

	"github.com/docodego/sessions/geo"
)

// Session is a row of the sessions table. The secret token is never stored, only its hash.
type Session struct {
	ID                 string         `db:"id"`
	UserID             string         `db:"user_id"`
	UserAgent          string         `db:"user_agent"`
	IP                 string         `db:"ip"`
	Browser            string         `db:"browser"`
	OS                 string         `db:"os"`
	DeviceType         string         `db:"device_type"`
	Label              string         `db:"label"`
	CreatedAt          time.Time      `db:"created_at"`
	LastSeenAt         time.Time      `db:"last_seen_at"`
	ExpiresAt          time.Time      `db:"expires_at"`
	RevokedAt          sql.NullTime   `db:"revoked_at"`
	RevokedBySessionID sql.NullString `db:"revoked_by_session_id"`
	RevokeReason       string         `db:"revoke_reason"`
	// Where the sign-in address is (geo.Place), and the latest address and its place.
	City            string `db:"city"`
	Region          string `db:"region"`
	CountryCode     string `db:"country_code"`
	LastIP          string `db:"last_ip"` // "" until seen from another address than ip
	LastCity        string `db:"last_city"`
	LastRegion      string `db:"last_region"`
	LastCountryCode string `db:"last_country_code"`
	DeviceBound     bool   `db:"device_bound"` // DBSC: a key on the device holds it (00010)
	// ProvenAt is when this session last proved the password: sign-in, re-authentication
	// or a password change (the re-authentication window counts from it).
	ProvenAt time.Time `db:"proven_at"`
	// Persistent is "Keep me signed in": false ends with the browser, and sooner.
	Persistent bool `db:"persistent"`
	// Name is what the person called the session ("Work laptop"); "" when unnamed.
	Name string `db:"name"`
	// Risk is why the sign-in is flagged (RiskNewDevice, ...; 0 after "This was me").
	Risk int16 `db:"risk"`
}

// SignInPlace is where the session signed in.
func (s Session) SignInPlace() geo.Place {
	return geo.Place{City: s.City, Region: s.Region, CountryCode: s.CountryCode}
}

// LatestIP is the address the session was last seen from.
func (s Session) LatestIP() string {
	if s.LastIP == "" {
		return s.IP
	}
	return s.LastIP
}

// LatestPlace is where the session was last seen.
func (s Session) LatestPlace() geo.Place {
	if s.LastIP == "" {
		return s.SignInPlace()
	}
	return geo.Place{City: s.LastCity, Region: s.LastRegion, CountryCode: s.LastCountryCode}
}

// sessionColumns is the explicit column list every session query selects.
const sessionColumns = `id, user_id, user_agent, ip, browser, os, device_type, label,
	created_at, last_seen_at, expires_at, revoked_at, revoked_by_session_id, revoke_reason,
	city, region, country_code, last_ip, last_city, last_region, last_country_code,
	device_bound, proven_at, persistent, name, risk`

// NewSession is what a sign-in records about a new session.
type NewSession struct {
	UserID     string
	TokenHash  []byte
	UserAgent  string
	IP         string
	Browser    string
	OS         string
	DeviceType string
	Label      string
	Place      geo.Place // of IP, looked up before the transaction
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Persistent bool
	DeviceHash []byte // the browser's known_devices hash; nil without a device cookie
}

// SessionWithUser is a session joined with the few user fields every request needs.
type SessionWithUser struct {
	Session
	UserEmail string `db:"user_email"`
	UserName  string `db:"user_name"`
	// SecurityRev is the user's security_rev (migration 00005) as the lookup read it.
	SecurityRev int64 `db:"security_rev"`
	// EmailVerified: the user's address was verified when the lookup ran.
	EmailVerified bool `db:"email_verified"`
}

// CreateSession inserts a session row.
func (t *Tx) CreateSession(ctx context.Context, n NewSession) (Session, error) {
	var s Session
	err := t.tx.GetContext(ctx, &s, `
		INSERT INTO sessions (user_id, token_hash, user_agent, ip, browser, os, device_type, label,
			created_at, last_seen_at, proven_at, expires_at, city, region, country_code, persistent, device_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10, $11, $12, $13, $14, $15)
		RETURNING `+sessionColumns,
		n.UserID, n.TokenHash, n.UserAgent, n.IP, n.Browser, n.OS, n.DeviceType, n.Label,
		n.CreatedAt, n.ExpiresAt, n.Place.City, n.Place.Region, n.Place.CountryCode, n.Persistent, n.DeviceHash)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// Touch is one last-seen write: session ID was seen at Now from IP, in Place; it is
// written only if the stored last-seen is not after Since (the throttle: busy sessions
// cost one write per interval, not one per request).
type Touch struct {
	ID    string
	Now   time.Time
	Since time.Time
	IP    string
	Place geo.Place
}

// The last-seen writes of concurrent requests go together as one statement (batch.go),
// like the lookups before them: on real traffic most session checks of a session not seen
// for a while write, and one UPDATE per request was most of the database's work.
const (
	maxTouchBatch   = 64
	touchLeaders    = 2
	touchStmtBudget = 5 * time.Second
)

func (s *Store) newTouches() *batcher[Touch, struct{}] {
	return &batcher[Touch, struct{}]{name: "touch session", max: maxTouchBatch,
		leaders: touchLeaders, budget: touchStmtBudget, run: s.writeTouches}
}

// TouchSession moves last_seen_at forward unless it was moved less than every ago. The
// same write records the address the session is seen from and its place (the caller
// looks it up only when the address is new).
func (s *Store) TouchSession(ctx context.Context, t Touch) error {
	_, err := s.touches.do(ctx, t)
	return err
}

// touchSessionsSQL writes a batch; a session twice in one batch is written once, with
// either of its (same-moment) values.
const touchSessionsSQL = `
	UPDATE sessions s SET last_seen_at = t.now,
		last_ip = t.ip, last_city = t.city, last_region = t.region, last_country_code = t.country_code
	FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[])
		AS t(id, now, since, ip, city, region, country_code)
	WHERE s.id = t.id AND s.last_seen_at <= t.since`

// writeTouches runs one statement for a batch of touches.
func (s *Store) writeTouches(ctx context.Context, ts []Touch) []batchResult[struct{}] {
	n := len(ts)
	ids, nows, sinces := make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
	ips, cities, regions, countries := make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
	for i, t := range ts {
		ids[i], ips[i] = t.ID, t.IP
		nows[i], sinces[i] = t.Now.Format(time.RFC3339Nano), t.Since.Format(time.RFC3339Nano)
		cities[i], regions[i], countries[i] = t.Place.City, t.Place.Region, t.Place.CountryCode
	}
	err := s.execPrepared(ctx, touchSessionsSQL, ids, nows, sinces, ips, cities, regions, countries)
	if err != nil {
		return allFailed[struct{}](n, err)
	}
	return make([]batchResult[struct{}], n)
}

// activeSessionsSQL selects what the session list, the security page and better-auth's
// list show of a live session: not the revocation columns (always NULL or empty for a live
// session), not proven_at, not user_id (the caller's own, $1). The times are sent in
// binary (pgtime.go).
const activeSessionsSQL = `
	SELECT ` + activeSessionsColumns + `
	FROM sessions
	WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
		AND created_at > $4
	ORDER BY created_at DESC, id`

// activeSessionsColumns are activeSessionsSQL's columns, in the order sessionDest scans them.
const activeSessionsColumns = `id, user_agent, ip, browser, os, device_type, label, timestamptz_send(created_at),
		timestamptz_send(last_seen_at), timestamptz_send(expires_at), city, region,
		country_code, last_ip, last_city, last_region,
		last_country_code, device_bound, persistent, name, risk`

// sessionDest points at r's fields in activeSessionsColumns' order. Built once per query,
// not per row: each row's variadic slice and boxed time scanners were allocations.
func sessionDest(r *Session) []any {
	return []any{&r.ID, &r.UserAgent, &r.IP, &r.Browser, &r.OS, &r.DeviceType, &r.Label,
		sentTime{&r.CreatedAt}, sentTime{&r.LastSeenAt}, sentTime{&r.ExpiresAt}, &r.City, &r.Region, &r.CountryCode, &r.LastIP,
		&r.LastCity, &r.LastRegion, &r.LastCountryCode, &r.DeviceBound, &r.Persistent, &r.Name, &r.Risk}
}

// ActiveSessions lists a user's sessions that are neither revoked, expired, created before
// bornSince (the maximum lifetime in force) nor idle past idleSince, newest first. The rows
// carry activeSessionsSQL's columns and UserID, times in UTC; the revocation fields and
// ProvenAt are zero. Scanned by hand: sqlx's reflection was a tenth of the list request's CPU.
func (s *Store) ActiveSessions(ctx context.Context, userID string, now, idleSince, bornSince time.Time) ([]Session, error) {
	rows, err := s.queryPrepared(ctx, activeSessionsSQL, userID, now, idleSince, bornSince)
	if err != nil {
		return nil, fmt.Errorf("active sessions of %s: %w", userID, err)
	}
	defer rows.Close()
	r := new(Session) // rows.Scan's pointers move it to the heap: one per call
	list, err := collectSessions(rows, userID, r, sessionDest(r), nil)
	if err != nil {
		return nil, fmt.Errorf("active sessions of %s: %w", userID, err)
	}
	return list, nil
}

// collectSessions scans the remaining rows into *r through dest (pointers into *r), each
// row's UserID set to userID, and returns them in order: those keep, called after each
// row's scan, says to keep (nil keeps all).
func collectSessions(rows *sql.Rows, userID string, r *Session, dest []any, keep func() (bool, error)) ([]Session, error) {
	// The rows are gathered on the stack, so the list is allocated once at its size:
	// grown by append, 50 rows allocated room for 112 (46 KB a list).
	var (
		first [64]Session
		more  []Session
		n     int
	)
	for rows.Next() {
		*r = Session{UserID: userID}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if keep != nil {
			ok, err := keep()
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if n < len(first) {
			first[n] = *r
		} else {
			more = append(more, *r)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list := make([]Session, 0, n)
	list = append(list, first[:min(n, len(first))]...)
	return append(list, more...), nil
}

// UserSession loads one of a user's sessions in any state; another user's is ErrNotFound.
func (s *Store) UserSession(ctx context.Context, userID, id string) (Session, error) {
	var row Session
	err := s.db.GetContext(ctx, &row, `
		SELECT `+sessionColumns+`
		FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("session %s: %w", id, err)
	}
	return row, nil
}

// RevokeOtherSessions marks every live session of a user but keepID revoked and returns them.
func (t *Tx) RevokeOtherSessions(ctx context.Context, userID, keepID, reason string, now time.Time) ([]Session, error) {
	var rows []Session
	err := t.tx.SelectContext(ctx, &rows, `
		UPDATE sessions
		SET revoked_at = $3, revoked_by_session_id = NULLIF($2, '')::uuid, revoke_reason = $4
		WHERE user_id = $1 AND id <> COALESCE(NULLIF($2, '')::uuid, '00000000-0000-0000-0000-000000000000')
			AND revoked_at IS NULL AND expires_at > $3
		RETURNING `+sessionColumns, userID, keepID, now, reason)
	if err != nil {
		return nil, fmt.Errorf("revoke other sessions of %s: %w", userID, err)
	}
	return rows, nil
}

// Eviction is a request to end a user's least recently active live sessions past Limit.
type Eviction struct {
	UserID, KeepID string // KeepID: the new session, never evicted
	Limit          int
	Reason         string
	Now            time.Time
	IdleSince      time.Time // sessions last seen before this have idled out: not live
	LifetimeSince  time.Time // sessions begun before this are past the maximum lifetime
}

// EvictedSession is a session EvictLeastRecentlyActive ended. OtherBrowser: it was signed
// in from another browser (device cookie) than the new session KeepID.
type EvictedSession struct {
	Session
	OtherBrowser bool `db:"other_browser"`
}

// EvictLeastRecentlyActive revokes the user's least recently active live sessions (but
// KeepID) while more than Limit are live, and returns them. Call it in a transaction that
// holds the users row (lock 1), so no other sign-in of the user counts at the same time.
func (t *Tx) EvictLeastRecentlyActive(ctx context.Context, e Eviction) ([]EvictedSession, error) {
	var rows []EvictedSession
	err := t.tx.SelectContext(ctx, &rows, `
		WITH live AS (
			SELECT id, last_seen_at, created_at FROM sessions
			WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $4
				AND last_seen_at > $5 AND created_at > $6
		), victims AS (
			SELECT id FROM live WHERE id <> $2::uuid
			ORDER BY last_seen_at, created_at, id
			LIMIT GREATEST((SELECT count(*) FROM live) - $3, 0)
		)
		UPDATE sessions SET revoked_at = $4, revoked_by_session_id = $2::uuid, revoke_reason = $7
		WHERE id IN (SELECT id FROM victims) AND revoked_at IS NULL
		RETURNING `+sessionColumns+`,
			device_hash IS DISTINCT FROM (SELECT k.device_hash FROM sessions k WHERE k.id = $2::uuid) AS other_browser`, e.UserID, e.KeepID, e.Limit, e.Now, e.IdleSince, e.LifetimeSince, e.Reason)
	if err != nil {
		return nil, fmt.Errorf("evict sessions of %s: %w", e.UserID, err)
	}
	return rows, nil
}

// LockLiveUserSession locks one of the user's sessions that is not revoked (a target,
// lock 3 of acting.go's order); ErrNotFound when there is none.
func (t *Tx) LockLiveUserSession(ctx context.Context, userID, id string) error {
	var got string
	err := t.tx.GetContext(ctx, &got, `
		SELECT id FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
		FOR NO KEY UPDATE`, id, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("lock session %s: %w", id, err)
	}
	return nil
}

// RenameSession names one of the user's live sessions; ErrNotFound when it is not one.
func (s *Store) RenameSession(ctx context.Context, userID, id, name string) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE sessions SET name = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, id, userID, name)
	if err != nil {
		return fmt.Errorf("rename session %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rename session %s: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
