// Package live is the per-instance hub of live security updates: one LISTEN connection to
// PostgreSQL, whose notifications (sent by the writes' own transactions, migration 00009) it
// fans out by user to this instance's open streams. It knows nothing of HTTP.
package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Channel is the PostgreSQL notification channel the triggers send on.
const Channel = "security_changes"

// Kind says what a stream should do about an event.
type Kind uint8

const (
	// Changed: something of the user's changed (a session started or ended elsewhere, a
	// notice, an audit event); the page fetches its fresh fragments.
	Changed Kind = iota
	// Ended: the stream's own session ended; the page signs out.
	Ended
	// Resync: notifications may have been lost (the listener reconnected); the page fetches
	// its fresh fragments whatever they are about.
	Resync
)

// Event is one thing a stream is told.
type Event struct {
	Kind      Kind
	Op        string // "new", "end" or "chg" for Changed (the trigger's word), else ""
	SessionID string // the session a Changed event is about, "" when none
}

// PolicyPayload is the notification of a policy change (migration 00016): it is for the
// instance, not for a user's streams.
const PolicyPayload = "pol::"

// OnPolicyChange has f called (on the listener's goroutine: it must not block) whenever a
// policy changed, or the listener reconnected and may have missed a change.
func (h *Hub) OnPolicyChange(f func()) { h.onPolicy.Store(&f) }

func (h *Hub) policyChanged() {
	if f := h.onPolicy.Load(); f != nil {
		(*f)()
	}
}

// ErrLimit refuses a stream past the per-user or per-instance limit.
var ErrLimit = errors.New("live: too many streams")

// ErrClosed refuses a stream once the hub is shutting down.
var ErrClosed = errors.New("live: hub closed")

// maxPending bounds a stream's unread events; past it they fold into one Resync, which a
// stream that fell behind needs anyway.
const maxPending = 16

// Limits bound the streams an instance holds.
type Limits struct {
	PerUser int // streams one user may hold on this instance
	Total   int // streams this instance holds
}

// DefaultLimits are STREAM_LIMIT_PER_USER and STREAM_LIMIT unless set.
func DefaultLimits() Limits { return Limits{PerUser: 20, Total: 10000} }

// Hub fans notifications out to streams. Its zero value is not usable: use New.
type Hub struct {
	limits Limits
	mu     sync.Mutex
	users  map[string]map[*Stream]struct{}
	total  int
	closed bool
	ctx    context.Context // ends when the hub shuts down: every stream ends
	stop   context.CancelFunc
	// onCount hears the stream count every countStep streams (OnCount).
	onCount func(n int)
	// onPolicy hears of policy changes (OnPolicyChange); set after Listen, so atomic.
	onPolicy atomic.Pointer[func()]
}

// countStep is how often (in streams opened or closed) OnCount's function hears the count.
const countStep = 64

// OnCount has f called with the number of open streams whenever it moves by countStep
// (main sizes the Go memory limit by it). Call it before the first Subscribe.
func (h *Hub) OnCount(f func(n int)) { h.onCount = f }

// counted reports the count to onCount at every countStep; the caller holds h.mu.
func (h *Hub) counted() {
	if h.onCount != nil && h.total%countStep == 0 {
		h.onCount(h.total)
	}
}

// New builds a hub without a listener (Listen attaches one).
func New(limits Limits) *Hub {
	ctx, stop := context.WithCancel(context.Background())
	return &Hub{limits: limits, users: map[string]map[*Stream]struct{}{}, ctx: ctx, stop: stop}
}

// Stream is one open page's subscription.
type Stream struct {
	hub       *Hub
	UserID    string
	SessionID string
	mu        sync.Mutex
	pending   []Event
	wake      chan struct{}
	closeOnce sync.Once
}

// Subscribe opens a stream for a session of a user, or refuses it with ErrLimit or ErrClosed.
func (h *Hub) Subscribe(userID, sessionID string) (*Stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	mine := h.users[userID]
	if h.total >= h.limits.Total || len(mine) >= h.limits.PerUser {
		return nil, ErrLimit
	}
	if mine == nil {
		mine = map[*Stream]struct{}{}
		h.users[userID] = mine
	}
	s := &Stream{hub: h, UserID: userID, SessionID: sessionID, wake: make(chan struct{}, 1)}
	mine[s] = struct{}{}
	h.total++
	h.counted()
	return s, nil
}

// Count is how many streams the hub holds.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Done is closed when the hub shuts down; streams end then.
func (h *Hub) Done() <-chan struct{} { return h.ctx.Done() }

// Context ends when the hub shuts down: a stream's database work under it stops waiting then.
func (h *Hub) Context() context.Context { return h.ctx }

// Close ends every stream (they see Done) and refuses new ones. Safe to call twice.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.stop()
}

// Publish delivers one change: op is the trigger's word, the session id may be empty.
func (h *Hub) Publish(op, userID, sessionID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.users[userID] {
		switch {
		case op == "end" && s.SessionID == sessionID:
			s.push(Event{Kind: Ended})
		default:
			s.push(Event{Kind: Changed, Op: op, SessionID: sessionID})
		}
	}
}

// ResyncAll tells every stream that notifications may have been missed.
func (h *Hub) ResyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, streams := range h.users {
		for s := range streams {
			s.push(Event{Kind: Resync})
		}
	}
}

// Wake signals that Take has events.
func (s *Stream) Wake() <-chan struct{} { return s.wake }

// Take returns the events that arrived since the last Take, oldest first.
func (s *Stream) Take() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.pending
	s.pending = nil
	return ev
}

func (s *Stream) push(e Event) {
	s.mu.Lock()
	switch {
	case len(s.pending) > 0 && s.pending[len(s.pending)-1] == e:
		// the same news twice in a row says nothing new
	case len(s.pending) >= maxPending:
		// Fold into a Resync, but never lose the sign-out.
		ended := e.Kind == Ended
		for _, p := range s.pending {
			ended = ended || p.Kind == Ended
		}
		s.pending = append(s.pending[:0], Event{Kind: Resync})
		if ended {
			s.pending = append(s.pending, Event{Kind: Ended})
		}
	default:
		s.pending = append(s.pending, e)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close ends the subscription; safe to call twice.
func (s *Stream) Close() {
	s.closeOnce.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		mine := h.users[s.UserID]
		delete(mine, s)
		if len(mine) == 0 {
			delete(h.users, s.UserID)
		}
		h.total--
		h.counted()
	})
}
