package ha_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInstanceKilledBehindNginx: two instances of the real binary share one database behind
// nginx; under load one is killed with SIGKILL. Sessions made anywhere keep working through
// the survivor, and the only failed requests are ones that were in flight on the dead one.
func TestInstanceKilledBehindNginx(t *testing.T) {
	ctx := withTimeout(t, 2*time.Minute)
	apps, base := startPairBehindNginx(ctx, t)
	a, b := apps[0], apps[1]
	c := newClient(base)

	users := c.signUp(t, 8)
	const workers = 6
	l := newLoad(c, users)
	loadCtx, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	wait := l.run(loadCtx, workers, 400)
	servedBy := func(addr string) func([]result) bool {
		return func(rs []result) bool {
			return count(rs, func(r result) bool { return !r.failed() && r.upstream == addr }) >= 20
		}
	}
	l.waitFor(t, 30*time.Second, "answers from both instances", func(rs []result) bool {
		return servedBy(a.addr)(rs) && servedBy(b.addr)(rs)
	})

	a.kill(syscall.SIGKILL) // returns once the process is reaped
	killed := time.Now()
	before := len(l.snapshot())
	l.waitFor(t, 30*time.Second, "answers after the kill", func(rs []result) bool {
		return count(rs[before:], func(r result) bool { return !r.failed() && r.start.After(killed) }) >= 60
	})
	stop()
	wait()

	rs := l.snapshot()
	failed := 0
	for _, r := range rs {
		if !r.failed() {
			continue
		}
		failed++
		if failed <= 10 {
			t.Logf("failed: %s", r)
		}
		if !r.start.Before(killed) || !strings.Contains(r.upstream, a.addr) {
			t.Errorf("failed request was not in flight on the killed instance %s: %s", a.addr, r)
		}
	}
	if failed > workers {
		t.Errorf("%d requests failed; at most %d (the load's concurrency) can have been in flight", failed, workers)
	}
	afterKill := count(rs, func(r result) bool { return r.start.After(killed) })
	// nginx lists every instance it tried ("a, b"); the last one answered.
	answeredBy := func(r result) string { return r.upstream[strings.LastIndex(r.upstream, " ")+1:] }
	if n := count(rs, func(r result) bool { return r.start.After(killed) && !r.failed() && answeredBy(r) != b.addr }); n > 0 {
		t.Errorf("%d answers after the kill did not come from the surviving instance %s", n, b.addr)
	}
	t.Logf("%d requests, %d failed (all in flight on the killed instance), %d sent after the kill, all answered by %s",
		len(rs), failed, afterKill, b.addr)
	l.verify(t)
}
