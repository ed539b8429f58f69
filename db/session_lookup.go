package db

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Every request looks its token up, so this is the app's hottest query. Concurrent lookups
// are answered together (batch.go), as one statement `token_hash = ANY($1)`.
const (
	maxLookupBatch   = 64
	lookupLeaders    = 3               // statements in flight at once
	lookupStmtBudget = 5 * time.Second // a batch outlives any one caller's cancellation
)

const sessionLookupSQL = `
	SELECT s.token_hash, s.id, s.user_id, s.user_agent, s.ip, s.browser, s.os, s.device_type,
		s.label, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
		s.revoked_by_session_id, s.revoke_reason, s.device_bound, s.city, s.region, s.country_code, s.last_ip,
		s.last_city, s.last_region, s.last_country_code, s.proven_at, s.persistent, u.email, u.name, u.security_rev,
		u.email_verified_at IS NOT NULL
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = ANY($1)`

func (s *Store) newLookups() *batcher[[]byte, SessionWithUser] {
	return &batcher[[]byte, SessionWithUser]{name: "session by token hash", max: maxLookupBatch,
		leaders: lookupLeaders, budget: lookupStmtBudget, run: s.answerLookups}
}

// SessionByTokenHash loads a session, revoked or not, with its user, in (at most) one round
// trip, shared with the lookups of other requests made at the same moment.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (SessionWithUser, error) {
	return s.lookups.do(ctx, hash)
}

// answerLookups runs one statement for a batch of hashes: each gets its row or ErrNotFound.
func (s *Store) answerLookups(ctx context.Context, hashes [][]byte) []batchResult[SessionWithUser] {
	found, err := s.lookupSessions(ctx, hashes)
	if err != nil {
		return allFailed[SessionWithUser](len(hashes), err)
	}
	rs := make([]batchResult[SessionWithUser], len(hashes))
	for i, h := range hashes {
		if row, ok := found[string(h)]; ok {
			rs[i].out = row
		} else {
			rs[i].err = ErrNotFound
		}
	}
	return rs
}

// lookupSessions is the batch statement: the sessions with these token hashes, by hash.
// Scanned by hand: this runs for every request, and sqlx's reflection was a tenth of it.
func (s *Store) lookupSessions(ctx context.Context, hashes [][]byte) (map[string]SessionWithUser, error) {
	rows, err := s.queryPrepared(ctx, sessionLookupSQL, pq.ByteaArray(hashes))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]SessionWithUser, len(hashes))
	for rows.Next() {
		var hash []byte
		var r SessionWithUser
		if err := rows.Scan(&hash, &r.ID, &r.UserID, &r.UserAgent, &r.IP, &r.Browser, &r.OS,
			&r.DeviceType, &r.Label, &r.CreatedAt, &r.LastSeenAt, &r.ExpiresAt, &r.RevokedAt,
			&r.RevokedBySessionID, &r.RevokeReason, &r.DeviceBound, &r.City, &r.Region, &r.CountryCode, &r.LastIP,
			&r.LastCity, &r.LastRegion, &r.LastCountryCode, &r.ProvenAt, &r.Persistent, &r.UserEmail, &r.UserName, &r.SecurityRev,
			&r.EmailVerified); err != nil {
			return nil, err
		}
		found[string(hash)] = r
	}
	return found, rows.Err()
}
