package db

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Every request looks its token up, so this is the app's hottest query. Concurrent lookups
// are answered together, as one statement `token_hash = ANY($1)`, with at most
// lookupLeaders statements in flight. A caller that finds a free slot runs the statement
// itself, for its own lookup and every one waiting (up to maxLookupBatch); a caller that
// finds none waits, and the leader that finishes hands its slot to the first waiter. So an
// idle app sends each lookup alone from the request's own goroutine (handing it to another
// goroutine cost a wake-up each way, ~0.2 ms on this kind of VM), and a busy one sends what
// queued while the previous statements ran. Nothing waits to fill a batch, and each lookup
// is a read made after its request arrived: a session revoked before that is seen revoked.
const (
	maxLookupBatch   = 64
	lookupLeaders    = 3               // statements in flight at once
	lookupStmtBudget = 5 * time.Second // a batch outlives any one caller's cancellation
)

const sessionLookupSQL = `
	SELECT s.token_hash, s.id, s.user_id, s.user_agent, s.ip, s.browser, s.os, s.device_type,
		s.label, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
		s.revoked_by_session_id, s.revoke_reason, s.device_bound, s.city, s.region, s.country_code, s.last_ip,
		s.last_city, s.last_region, s.last_country_code, s.proven_at, s.persistent, u.email, u.name
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = ANY($1)`

type lookupCall struct {
	hash []byte
	done chan lookupResult // buffered: nobody blocks on a caller that gave up
	lead bool              // handed a leader's slot (set under sessionLookups.mu)
}

type lookupResult struct {
	row  SessionWithUser
	err  error
	lead bool // not a result: the receiver now leads, with its own lookup first
}

// sessionLookups is the waiting room of one Store's lookups.
type sessionLookups struct {
	mu      sync.Mutex
	waiting []*lookupCall
	leaders int
	closed  bool
}

// SessionByTokenHash loads a session, revoked or not, with its user, in (at most) one round
// trip, shared with the lookups of other requests made at the same moment.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (SessionWithUser, error) {
	if err := ctx.Err(); err != nil {
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", err)
	}
	l := &s.lookups
	call := &lookupCall{hash: hash, done: make(chan lookupResult, 1)}
	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ErrUnavailable)
	case l.leaders < lookupLeaders:
		l.leaders++
		l.mu.Unlock()
		s.leadLookups(call)
		r := <-call.done
		return r.row, r.err
	}
	l.waiting = append(l.waiting, call)
	l.mu.Unlock()
	select {
	case r := <-call.done:
		if r.lead {
			s.leadLookups(call)
			r = <-call.done
		}
		return r.row, r.err
	case <-ctx.Done():
		if s.abandonLookup(call) {
			<-call.done         // the lead signal, sent with call.lead set
			s.leadLookups(call) // the others waiting need the slot this call was handed
		}
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ctx.Err())
	}
}

// abandonLookup takes a cancelled call out of the waiting room; it reports whether the
// call had been handed a leader's slot, which its caller must then use.
func (s *Store) abandonLookup(call *lookupCall) (mustLead bool) {
	l := &s.lookups
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range l.waiting {
		if c == call {
			l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
			return false
		}
	}
	return call.lead // else it is in a running batch, whose result nobody will read
}

// leadLookups runs one statement for first and the lookups waiting, then hands the slot
// to the next waiter, or frees it.
func (s *Store) leadLookups(first *lookupCall) {
	l := &s.lookups
	l.mu.Lock()
	n := min(len(l.waiting), maxLookupBatch-1)
	batch := append([]*lookupCall{first}, l.waiting[:n]...)
	l.waiting = append(l.waiting[:0], l.waiting[n:]...)
	l.mu.Unlock()

	s.answerLookups(batch)

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiting) == 0 {
		l.leaders--
		return
	}
	next := l.waiting[0]
	l.waiting = append(l.waiting[:0], l.waiting[1:]...)
	next.lead = true
	next.done <- lookupResult{lead: true}
}

// answerLookups runs one statement for the batch and hands each caller its row.
func (s *Store) answerLookups(batch []*lookupCall) {
	ctx, cancel := context.WithTimeout(context.Background(), lookupStmtBudget)
	defer cancel()
	hashes := make(pq.ByteaArray, len(batch))
	for i, c := range batch {
		hashes[i] = c.hash
	}
	found, err := s.lookupSessions(ctx, hashes)
	for _, c := range batch {
		switch row, ok := found[string(c.hash)]; {
		case err != nil:
			c.done <- lookupResult{err: fmt.Errorf("session by token hash: %w", err)}
		case !ok:
			c.done <- lookupResult{err: ErrNotFound}
		default:
			c.done <- lookupResult{row: row}
		}
	}
}

// lookupSessions is the batch statement: the sessions with these token hashes, by hash.
// Scanned by hand: this runs for every request, and sqlx's reflection was a tenth of it.
func (s *Store) lookupSessions(ctx context.Context, hashes pq.ByteaArray) (map[string]SessionWithUser, error) {
	rows, err := s.queryPrepared(ctx, sessionLookupSQL, hashes)
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
			&r.LastCity, &r.LastRegion, &r.LastCountryCode, &r.ProvenAt, &r.Persistent, &r.UserEmail, &r.UserName); err != nil {
			return nil, err
		}
		found[string(hash)] = r
	}
	return found, rows.Err()
}

// stopLookups refuses lookups from now on; those already waiting are still answered.
func (s *Store) stopLookups() {
	s.lookups.mu.Lock()
	s.lookups.closed = true
	s.lookups.mu.Unlock()
}
