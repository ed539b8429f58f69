package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
)

// TestFrozenServerDropsIdleConnectionsAtOnce: once one connection finds the frozen server
// (at its request's deadline), the idle connections opened before the freeze are stale,
// and the next request to take one from the pool makes database/sql close it, with the
// statements prepared on it. Closing a statement is a round trip, which a frozen server
// never answers: the request must still answer at its deadline, not at the thaw.
func TestFrozenServerDropsIdleConnectionsAtOnce(t *testing.T) {
	store, f := storeViaFreezer(t, 8, "connect_timeout=20")
	// Several connections, each with the lookup prepared: concurrent lookups run up to
	// three statements at once.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			for range 20 {
				if _, err := store.SessionByTokenHash(context.Background(), []byte{byte(i)}); !errors.Is(err, db.ErrNotFound) {
					t.Errorf("warm-up lookup: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	f.set(true)
	thawed := make(chan struct{})
	thaw := time.AfterFunc(10*time.Second, func() { f.set(false); close(thawed) }) // fail, not hang
	const deadline = 300 * time.Millisecond
	for i := range 4 { // the first finds the server frozen; the next take stale idle ones
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		_, err := store.SessionByTokenHash(ctx, []byte("after the freeze"))
		took := time.Since(start)
		cancel()
		if err == nil || !db.IsUnavailable(err) {
			t.Errorf("lookup %d on a frozen server: %v; want an unavailable error", i, err)
		}
		select {
		case <-thawed:
			t.Fatalf("lookup %d answered only at the thaw, after %s", i, took)
		default:
		}
		if took > deadline+time.Second {
			t.Errorf("lookup %d on a frozen server took %s; want about the %s deadline", i, took, deadline)
		}
	}
	if thaw.Stop() {
		f.set(false)
	}
}
