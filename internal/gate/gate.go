// Package gate bounds how many callers do one thing at once: past the bound a caller waits
// its turn for at most a set time, then is refused, so overload turns into quick refusals
// instead of a queue that grows until every caller times out.
package gate

import (
	"context"
	"time"
)

// Gate admits at most n callers at a time. Waiting callers get their turns in the order they
// came: a channel's blocked senders are served first in, first out.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// New allows n callers at once (at least 1); a caller waits at most wait for a turn.
func New(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Acquire takes a turn, waiting at most the gate's time or until ctx ends. It returns the
// function that gives the turn back, and false (and no function) when refused.
func (g *Gate) Acquire(ctx context.Context) (release func(), ok bool) {
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// Size is how many callers the gate admits at once.
func (g *Gate) Size() int { return cap(g.slots) }

func (g *Gate) release() { <-g.slots }
