package ha_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
)

// recoveryBound is how soon after the primary dies the app must serve again (issue 9).
const recoveryBound = 10 * time.Second

// TestPrimaryCrashFailover: one app process on a primary with a synchronous standby, found
// through a multi-host DSN. Under sign-ins and revocations the primary is killed (SIGKILL,
// like a lost machine) and the standby promoted. Every sign-in and revocation the app
// confirmed is still true afterwards, the same app process serves again within
// recoveryBound, and no answer after recovery contradicts a confirmed write.
func TestPrimaryCrashFailover(t *testing.T) {
	ctx := withTimeout(t, 2*time.Minute)
	primary, standby := startReplicatedPair(ctx, t)
	app := startApps(t, db.FailoverDSN("docodego", primary, standby), "app")[0]
	c := newClient("http://" + app.addr)

	users := c.signUp(t, 6)
	const workers = 5
	l := newLoad(c, users)
	loadCtx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	wait := l.run(loadCtx, workers, 400)
	l.waitFor(t, 30*time.Second, "revocations before the crash", func(rs []result) bool {
		return count(rs, func(r result) bool { return r.status == http.StatusNoContent }) >= 10
	})

	primary.Kill()
	killed := time.Now()
	// The failover manager's part (pg_auto_failover, or an operator): promote the standby.
	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	promoted := time.Since(killed)
	isWriteAfterKill := func(r result) bool {
		return r.start.After(killed) && (r.status == http.StatusNoContent || (r.op == "POST /api/auth/sign-in/email" && r.status == http.StatusOK))
	}
	l.waitFor(t, 2*recoveryBound, "confirmed write after the crash", func(rs []result) bool {
		return count(rs, isWriteAfterKill) > 0
	})
	var recovered time.Time
	for _, r := range l.snapshot() {
		if isWriteAfterKill(r) && (recovered.IsZero() || r.end.Before(recovered)) {
			recovered = r.end
		}
	}
	// Keep the load going on the new primary for a while before checking.
	before := len(l.snapshot())
	l.waitFor(t, 30*time.Second, "revocations after recovery", func(rs []result) bool {
		return count(rs[before:], func(r result) bool { return r.status == http.StatusNoContent }) >= 10
	})
	stop()
	wait()

	select {
	case <-app.done:
		t.Fatal("the app process exited during the failover")
	default:
	}
	downtime := recovered.Sub(killed)
	if downtime > recoveryBound {
		t.Errorf("app served again %s after the primary died; want within %s", downtime, recoveryBound)
	}
	rs := l.snapshot()
	failed := 0
	for _, r := range rs {
		if r.failed() {
			if failed++; failed <= 10 {
				t.Logf("failed: %s", r)
			}
			if r.start.After(recovered) {
				t.Errorf("request failed after recovery: %s", r)
			}
		}
	}
	t.Logf("%d requests, %d failed during the failover; standby promoted %s after the kill, first confirmed write %s after it",
		len(rs), failed, promoted.Round(time.Millisecond), downtime.Round(time.Millisecond))
	l.verify(t)
}

// TestFencedPrimaryConnectionsRetire: a planned switchover first fences the old primary
// read-only, then promotes the standby. Pooled connections to the old primary would refuse
// every write (25006) for the rest of their lifetime; instead each retires on its first
// refusal, and the pool reconnects through the DSN's host list to the new primary.
func TestFencedPrimaryConnectionsRetire(t *testing.T) {
	ctx := withTimeout(t, 2*time.Minute)
	primary, standby := startReplicatedPair(ctx, t)
	const poolSize = 4
	store, err := db.Open(ctx, db.FailoverDSN("docodego", primary, standby), db.PoolOptions{MaxOpen: poolSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with connections to the primary.
	conns := make([]*sql.Conn, poolSize)
	for i := range conns {
		if conns[i], err = store.DB().Conn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}

	if err := primary.Fence(ctx); err != nil {
		t.Fatal(err)
	}
	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 3 * poolSize {
		_, err := store.SecretKey(ctx, fmt.Sprintf("switchover-%d", i), []byte("v"))
		switch {
		case err == nil:
		case pq.As(err, "25006") != nil && i < poolSize:
			refused++
		default:
			t.Fatalf("write %d after the switchover: %v", i, err)
		}
	}
	if refused == 0 {
		t.Error("no write was refused: the pool never held connections to the fenced primary")
	}
	// The writes that succeeded are on the new primary.
	direct, err := sql.Open("postgres", standby.DSN("docodego"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	var n int
	if err := direct.QueryRowContext(ctx, `SELECT count(*) FROM app_secrets WHERE name LIKE 'switchover-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3*poolSize-refused {
		t.Errorf("new primary has %d of the %d writes that succeeded", n, 3*poolSize-refused)
	}
	t.Logf("%d pooled connections to the fenced primary refused one write each, then retired", refused)
}

// startReplicatedPair starts a primary with a synchronous standby that has caught up, and
// the app's database on it; both stop when the test ends.
func startReplicatedPair(ctx context.Context, t *testing.T) (primary, standby *db.ReplicaNode) {
	t.Helper()
	primary, err := db.StartPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	standby, err = primary.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Stop() })
	if err := primary.WaitSyncStandby(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureDatabase(ctx, primary.DSN("postgres"), "docodego"); err != nil {
		t.Fatal(err)
	}
	return primary, standby
}
