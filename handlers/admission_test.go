package handlers_test

import (
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docodego/sessions/db/dbtest"
)

// TestOverloadIsRefusedBeforeAnyWork: with every turn taken by requests stuck on the
// database, the requests past the in-flight limit get 503 busy with Retry-After after the
// admission wait, with no ERROR line and no work done; the admitted ones then finish with
// 200 once the database answers again. All are sent at one barrier, several rounds.
func TestOverloadIsRefusedBeforeAnyWork(t *testing.T) {
	const limit, extra = 4, 6
	dsn := dbtest.DSN(t)
	e := newEnvWith(t, envOptions{store: dbtest.StoreOn(t, dsn), maxInFlight: limit})
	c := e.account("overload@example.test")
	locker, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close() })

	for round := range 3 {
		// The table lock holds every session lookup, so the admitted requests keep their turns.
		tx, err := locker.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		var refused, ok atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		answers := make(chan response, limit+extra)
		for range limit + extra {
			wg.Go(func() {
				<-start
				r := c.get("/api/users/me/current-session")
				if r.status == 503 {
					refused.Add(1)
				}
				answers <- r
			})
		}
		close(start)
		for deadline := time.Now().Add(20 * time.Second); refused.Load() < extra && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(answers)
		for r := range answers {
			switch r.status {
			case 200:
				ok.Add(1)
			case 503:
				var body struct{ Error string }
				if json.Unmarshal([]byte(r.body), &body) != nil || body.Error != "busy" || r.header.Get("Retry-After") == "" {
					t.Errorf("round %d: refused answer %q, Retry-After %q; want {\"error\":\"busy\"} with Retry-After",
						round, r.body, r.header.Get("Retry-After"))
				}
			default:
				t.Errorf("round %d: status %d: %s", round, r.status, r.body)
			}
		}
		if refused.Load() != extra || ok.Load() != limit {
			t.Fatalf("round %d: %d answered 200 and %d refused; want %d and %d", round, ok.Load(), refused.Load(), limit, extra)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("overload logged an ERROR:\n%s", logs)
	}
	if n := strings.Count(e.logs.String(), "overloaded: requests refused"); n != 1 {
		t.Errorf("%d overload warnings in three rounds within seconds; want one (a line per interval)", n)
	}
}
