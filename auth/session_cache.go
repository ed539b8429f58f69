package auth

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/docodego/sessions/db"
)

// The list cache keeps each user's live sessions in memory so that a read costs one light
// database round trip (the token lookup) instead of two. It never answers with a stale
// list: an entry is used only when its revision equals the users.security_rev the request's
// own token lookup just read, and every write to the user's sessions, on any instance,
// moves that revision (migration 00005). It is not a cache of session validity: every
// request still looks its token up, so a revoked session is refused on its next request.
const listCacheUsers = 256 // entries; a user's entry is ~0.5 KB per session

// SessionList is one user's live sessions as of a revision, newest first. It is shared,
// read-only, by every request that finds it in the cache.
type SessionList struct {
	Rev  int64
	rows []db.Session
	memo sync.Map
}

// Memo returns the value build makes for key, building it once per list: renderings of the
// list (its JSON, say) live and die with the revision they were made from.
func (l *SessionList) Memo(key string, build func() any) any {
	if v, ok := l.memo.Load(key); ok {
		return v
	}
	v, _ := l.memo.LoadOrStore(key, build())
	return v
}

// All is every session the list was loaded with, newest first (some may have expired
// since: Service.Live filters). Callers must not change it.
func (l *SessionList) All() []db.Session { return l.rows }

// live is the list's sessions still active at now, the current one first; they point
// into the shared list, so callers read them and copy what they keep.
func (l *SessionList) live(cfg Config, now time.Time, currentID string) []*db.Session {
	out := make([]*db.Session, 0, len(l.rows))
	for i := range l.rows {
		row := &l.rows[i]
		if cfg.Status(*row, now) != StatusActive {
			continue
		}
		out = append(out, row)
		if row.ID == currentID {
			copy(out[1:], out[:len(out)-1])
			out[0] = row
		}
	}
	return out
}

// listCache maps user ids to their last loaded SessionList.
type listCache struct {
	lru *expirable.LRU[string, *SessionList]
	// writes counts this instance's writes: a load that overlapped one is not stored, so
	// a list read just before a revocation cannot be put back after it.
	writes atomic.Uint64
}

// newListCache keeps lists for ttl at most (Config.ViewCacheTTL).
func newListCache(ttl time.Duration) *listCache {
	return &listCache{lru: expirable.NewLRU[string, *SessionList](listCacheUsers, nil, ttl)}
}

// get is the user's list if it is of revision rev.
func (c *listCache) get(userID string, rev int64) (*SessionList, bool) {
	if rev == 0 {
		return nil, false
	}
	l, ok := c.lru.Get(userID)
	if !ok || l.Rev != rev {
		return nil, false
	}
	return l, true
}

// store keeps a list loaded while writesBefore was the write count.
func (c *listCache) store(userID string, l *SessionList, writesBefore uint64) {
	if l.Rev == 0 || c.writes.Load() != writesBefore {
		return
	}
	c.lru.Add(userID, l)
}

// forget drops the user's list after a write of this instance.
func (c *listCache) forget(userID string) {
	c.writes.Add(1)
	c.lru.Remove(userID)
}
