package gate_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/docodego/sessions/internal/gate"
)

// TestGateAdmitsAtMostItsSize starts many callers at one barrier, again and again: never
// more than the gate's size hold a turn at once, the rest are refused after the wait, and
// every turn given back can be taken again.
func TestGateAdmitsAtMostItsSize(t *testing.T) {
	const size, callers = 3, 24
	g := gate.New(size, 20*time.Millisecond)
	for round := range 50 {
		var inside, most, admitted, refused atomic.Int64
		start := make(chan struct{})
		hold := make(chan struct{})
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				release, ok := g.Acquire(context.Background())
				if !ok {
					refused.Add(1)
					return
				}
				admitted.Add(1)
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				<-hold // keep the turn until every refused caller has given up
				inside.Add(-1)
				release()
			}()
		}
		close(start)
		for admitted.Load()+refused.Load() < callers { // every caller has its answer
			time.Sleep(time.Millisecond)
		}
		close(hold)
		wg.Wait()
		if most.Load() > size {
			t.Fatalf("round %d: %d callers held a turn at once, gate of %d", round, most.Load(), size)
		}
		if admitted.Load() != size {
			t.Fatalf("round %d: %d callers admitted while the first %d held their turns", round, admitted.Load(), size)
		}
	}
}

// TestGateWaitsForATurnGivenBack: a caller that arrives at a full gate gets the turn given
// back within its wait, and one whose context ends is refused at once.
func TestGateWaitsForATurnGivenBack(t *testing.T) {
	g := gate.New(1, time.Second)
	release, ok := g.Acquire(context.Background())
	if !ok {
		t.Fatal("an empty gate refused")
	}
	go func() { time.Sleep(20 * time.Millisecond); release() }()
	again, ok := g.Acquire(context.Background())
	if !ok {
		t.Fatal("refused although the turn came back within the wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := g.Acquire(ctx); ok {
		t.Fatal("admitted on a full gate with an ended context")
	}
	again()
}

// TestGateServesWaitersInArrivalOrder: callers that wait at a full gate get their turns in
// the order they came. The store's list reads rely on it (db/list_reads.go): database/sql
// hands a freed connection to a random waiter, so the gate is where reads queue.
func TestGateServesWaitersInArrivalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := gate.New(1, time.Minute)
		release, ok := g.Acquire(context.Background())
		if !ok {
			t.Fatal("an empty gate refused its first caller")
		}
		const waiters = 8
		served := make(chan int, waiters)
		for i := range waiters {
			go func() {
				next, ok := g.Acquire(context.Background())
				if !ok {
					t.Errorf("waiter %d refused within its wait", i)
					return
				}
				served <- i
				next()
			}()
			synctest.Wait() // waiter i is queued before waiter i+1 comes
		}
		release()
		for want := range waiters {
			if got := <-served; got != want {
				t.Fatalf("turn %d went to waiter %d", want, got)
			}
		}
	})
}
