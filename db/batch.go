package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// batcher answers the calls of concurrent requests together, as one statement for many,
// with at most leaders statements in flight. A caller that finds a free slot runs the
// statement itself, for its own call and every one waiting (up to max); a caller that finds
// none waits, and the leader that finishes hands its slot to the first waiter. So an idle
// app sends each call alone from the request's own goroutine (handing it to another
// goroutine cost a wake-up each way, ~0.2 ms on this kind of VM), and a busy one sends what
// queued while the previous statements ran. Nothing waits to fill a batch, and each call's
// statement starts after the call was made: a lookup sees every write committed before it.
type batcher[In, Out any] struct {
	name    string // for errors: "session by token hash"
	max     int    // calls per statement
	leaders int    // statements in flight at once
	budget  time.Duration
	// run answers a batch: one result per call, in order. A batch outlives any one
	// caller's cancellation (its own context has budget), but not the deadline of the
	// caller that runs it: that caller waits for it, and its request must answer in time.
	run func(ctx context.Context, ins []In) []batchResult[Out]

	mu      sync.Mutex
	waiting []*batchCall[In, Out]
	running int
	closed  bool
}

type batchCall[In, Out any] struct {
	in       In
	deadline time.Time             // the caller's; zero: none
	done     chan batchResult[Out] // buffered: nobody blocks on a caller that gave up
	lead     bool                  // handed a leader's slot (set under batcher.mu)
}

type batchResult[Out any] struct {
	out  Out
	err  error
	lead bool // not a result: the receiver now leads, with its own call first
}

// do makes one call and waits for its answer.
func (b *batcher[In, Out]) do(ctx context.Context, in In) (Out, error) {
	var zero Out
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%s: %w", b.name, err)
	}
	call := &batchCall[In, Out]{in: in, done: make(chan batchResult[Out], 1)}
	call.deadline, _ = ctx.Deadline()
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return zero, fmt.Errorf("%s: %w", b.name, ErrUnavailable)
	case b.running < b.leaders:
		b.running++
		b.mu.Unlock()
		b.lead(call)
		r := <-call.done
		return r.out, r.err
	}
	b.waiting = append(b.waiting, call)
	b.mu.Unlock()
	select {
	case r := <-call.done:
		if r.lead {
			b.lead(call)
			r = <-call.done
		}
		return r.out, r.err
	case <-ctx.Done():
		if b.abandon(call) {
			<-call.done // the lead signal, sent with call.lead set
			// The others waiting need the slot this call was handed; its caller is gone.
			call.deadline = time.Time{}
			go b.lead(call)
		}
		return zero, fmt.Errorf("%s: %w", b.name, ctx.Err())
	}
}

// abandon takes a cancelled call out of the waiting room; it reports whether the call had
// been handed a leader's slot, which its caller must then use.
func (b *batcher[In, Out]) abandon(call *batchCall[In, Out]) (mustLead bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range b.waiting {
		if c == call {
			b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
			return false
		}
	}
	return call.lead // else it is in a running batch, whose result nobody will read
}

// lead runs one statement for first and the calls waiting, then hands the slot to the
// next waiter, or frees it.
func (b *batcher[In, Out]) lead(first *batchCall[In, Out]) {
	b.mu.Lock()
	n := min(len(b.waiting), b.max-1)
	batch := append([]*batchCall[In, Out]{first}, b.waiting[:n]...)
	b.waiting = append(b.waiting[:0], b.waiting[n:]...)
	b.mu.Unlock()

	b.answer(batch)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		b.running--
		return
	}
	next := b.waiting[0]
	b.waiting = append(b.waiting[:0], b.waiting[1:]...)
	next.lead = true
	next.done <- batchResult[Out]{lead: true}
}

// answer runs the statement for the batch and hands each caller its result.
func (b *batcher[In, Out]) answer(batch []*batchCall[In, Out]) {
	deadline := time.Now().Add(b.budget)
	if d := batch[0].deadline; !d.IsZero() && d.Before(deadline) {
		deadline = d // the caller running the batch waits for it
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ins := make([]In, len(batch))
	for i, c := range batch {
		ins[i] = c.in
	}
	results := b.run(ctx, ins)
	for i, c := range batch {
		r := results[i]
		if r.err != nil && !errors.Is(r.err, ErrNotFound) {
			r.err = fmt.Errorf("%s: %w", b.name, r.err)
		}
		c.done <- r
	}
}

// stop refuses calls from now on; those already waiting are still answered.
func (b *batcher[In, Out]) stop() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// allFailed is a batch's results when its statement failed.
func allFailed[Out any](n int, err error) []batchResult[Out] {
	rs := make([]batchResult[Out], n)
	for i := range rs {
		rs[i].err = err
	}
	return rs
}
