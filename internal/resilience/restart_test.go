package resilience_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/internal/testserver"
)

// outcome is one request of the background load.
type outcome struct {
	at     time.Time
	status int // 0: no answer at all
	err    error
}

// PostgreSQL restarts while clients keep reading. The app must not panic, may fail only
// while the database is away (and then with 503, not 500), serves everyone again within
// 5 s of the database being back, and loses no session.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "restart@example.test", true)
	before := mustCall(t, "GET", srv.URL+"/api/auth/sessions/", token, "")
	if before.status != 200 {
		t.Fatalf("before restart: %d %s", before.status, before.body)
	}

	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				a, err := call(t, "GET", srv.URL+"/api/auth/sessions/", token, "")
				mu.Lock()
				outcomes = append(outcomes, outcome{time.Now(), a.status, err})
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	down := time.Now()
	if err := dbtest.Server().Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	time.Sleep(6 * time.Second)
	stop()
	wg.Wait()

	var failed, afterBack int
	for _, o := range outcomes {
		ok := o.err == nil && o.status == 200
		if ok {
			continue
		}
		failed++
		switch {
		case o.err != nil:
			t.Errorf("no answer at %v: %v", o.at.Sub(down), o.err)
		case o.status != 503:
			t.Errorf("status %d at %v after the restart began; want 200, or 503 while down", o.status, o.at.Sub(down))
		case o.at.Before(down):
			t.Errorf("failure before the restart began")
		case o.at.After(back.Add(5 * time.Second)):
			afterBack++
		}
	}
	if afterBack > 0 {
		t.Errorf("%d failures more than 5 s after the database was back", afterBack)
	}
	t.Logf("%d requests, %d failed (restart took %v)", len(outcomes), failed, back.Sub(down).Round(time.Millisecond))
	if strings.Contains(srv.Logs(), "panic") {
		t.Errorf("the app panicked:\n%s", srv.Logs())
	}
	after := mustCall(t, "GET", srv.URL+"/api/auth/sessions/", token, "")
	if after.status != 200 || after.body != before.body {
		t.Errorf("session after restart: %d %s; want the same list as before: %s", after.status, after.body, before.body)
	}
	if got := mustCall(t, "GET", srv.URL+"/readyz", "", ""); got.status != 200 {
		t.Errorf("/readyz after restart: %d", got.status)
	}
}
