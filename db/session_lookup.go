package db

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Every request looks its token up, so this is the app's hottest query. Concurrent lookups
// are answered together: a few loops each take the lookups waiting at that moment (up to
// maxLookupBatch) and send them as one statement, `token_hash = ANY($1)`. Nothing waits to
// fill a batch: an idle app sends each lookup alone at once, and a busy one sends what
// queued while the previous statements ran. Each lookup is still a read made after its
// request arrived, so a session revoked before that is seen as revoked.
const (
	maxLookupBatch   = 64
	lookupLoops      = 2               // statements in flight at once
	lookupStmtBudget = 5 * time.Second // a batch outlives any one caller's cancellation
)

const sessionLookupSQL = `
	SELECT s.token_hash, s.id, s.user_id, s.user_agent, s.ip, s.browser, s.os, s.device_type,
		s.label, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at,
		s.revoked_by_session_id, s.revoke_reason, u.email, u.name, u.security_rev
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = ANY($1)`

type lookupCall struct {
	hash []byte
	done chan lookupResult // buffered: the loop never blocks on a caller that gave up
}

type lookupResult struct {
	row SessionWithUser
	err error
}

// sessionLookups runs the batching loops of one Store.
type sessionLookups struct {
	start, end sync.Once
	queue      chan *lookupCall
	stop       chan struct{}
	wg         sync.WaitGroup
}

// SessionByTokenHash loads a session, revoked or not, with its user, in (at most) one round
// trip, shared with the lookups of other requests made at the same moment.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (SessionWithUser, error) {
	l := &s.lookups
	l.start.Do(func() {
		l.queue = make(chan *lookupCall, 1024)
		l.stop = make(chan struct{})
		for range lookupLoops {
			l.wg.Add(1)
			go s.lookupLoop()
		}
	})
	call := &lookupCall{hash: hash, done: make(chan lookupResult, 1)}
	select {
	case l.queue <- call:
	case <-l.stop:
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ErrUnavailable)
	case <-ctx.Done():
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ctx.Err())
	}
	select {
	case r := <-call.done:
		return r.row, r.err
	case <-l.stop:
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ErrUnavailable)
	case <-ctx.Done():
		return SessionWithUser{}, fmt.Errorf("session by token hash: %w", ctx.Err())
	}
}

func (s *Store) lookupLoop() {
	l := &s.lookups
	defer l.wg.Done()
	batch := make([]*lookupCall, 0, maxLookupBatch)
	for {
		select {
		case <-l.stop:
			return
		case first := <-l.queue:
			batch = append(batch[:0], first)
		}
	drain:
		for len(batch) < maxLookupBatch {
			select {
			case c := <-l.queue:
				batch = append(batch, c)
			default:
				break drain
			}
		}
		s.answerLookups(batch)
	}
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
	st, err := s.stmts.get(ctx, s.db, sessionLookupSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, hashes)
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
			&r.RevokedBySessionID, &r.RevokeReason, &r.UserEmail, &r.UserName, &r.SecurityRev); err != nil {
			return nil, err
		}
		found[string(hash)] = r
	}
	return found, rows.Err()
}

// stopLookups ends the batching loops; lookups after it fail as unavailable.
func (s *Store) stopLookups() {
	l := &s.lookups
	l.start.Do(func() { l.stop = make(chan struct{}) }) // never started: nothing to stop
	l.end.Do(func() { close(l.stop) })
	l.wg.Wait()
}
