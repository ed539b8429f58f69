package ha_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/ha/history"
)

// Load of every fault run: clients owning accounts (issue 24: >= 20 clients, many users).
const (
	loadClients  = 24
	loadAccounts = 48
	openPages    = 4 // security pages held open per run, revoked during the fault
)

// checker: the product promises every answer, a 503 at worst, within 3 s, and the
// client here times it through nginx, from before the request is sent to the last byte
// read. The app gives its database work 2.5 s (handlers.defaultRequestTimeout; a connect
// to a frozen host included, db.connectingConn) and keeps 0.5 s for the rest of the way:
// no slack is added here.
var checker = history.Checker{MaxLatency: history.PromisedLatency}

// faultEnv is what a fault can act on.
type faultEnv struct {
	cluster *patroniCluster
	apps    []*app
	// struck is called by a fault the moment it takes effect (the signal sent): the
	// figures and the /readyz window count from then. Reading /proc for the processes
	// to freeze can take tens of milliseconds on a loaded machine, during which the
	// primary still commits.
	struck func()
}

type fault struct {
	name string
	// inject breaks something and returns once it is back (or is being brought back by
	// Patroni); the run then waits for a healthy cluster. dbFault says the database's
	// primary was lost: the old one must come back as the standby.
	inject  func(t *testing.T, env faultEnv, leader *patroniNode)
	dbFault bool
}

var faults = []fault{
	{name: "sigkill-primary-postgres", dbFault: true, inject: func(t *testing.T, env faultEnv, leader *patroniNode) {
		pid, err := leader.postmaster()
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		env.struck()
	}},
	{name: "sigstop-primary-postgres", dbFault: true, inject: func(t *testing.T, env faultEnv, leader *patroniNode) {
		pids, err := leader.postgresProcs()
		if err != nil {
			t.Fatal(err)
		}
		signal := func(sig syscall.Signal) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, sig)
			}
		}
		signal(syscall.SIGSTOP)
		env.struck()
		frozen := time.Now()
		defer func() { // also when the wait below fails the test
			signal(syscall.SIGCONT)
			t.Logf("primary frozen for %s, thawed at %s", time.Since(frozen).Round(time.Millisecond), time.Now().Format("15:04:05.000"))
		}()
		// Frozen for longer than the leader key lives, and until the standby has taken over.
		env.cluster.waitRoles(context.Background(), 60*time.Second, "standby promoted while the primary is frozen",
			func(m map[string]member) bool {
				return time.Since(frozen) > (patroniTTL+1)*time.Second && m[leader.name].Role != "leader" &&
					otherLeads(m, leader.name)
			})
	}},
	{name: "restart-app-instance", inject: func(t *testing.T, env faultEnv, _ *patroniNode) {
		env.struck()
		env.apps[0].restart(t)
	}},
	{name: "restart-etcd", inject: func(t *testing.T, env faultEnv, _ *patroniNode) {
		env.struck()
		env.cluster.restartEtcd()
	}},
}

func otherLeads(m map[string]member, old string) bool {
	for name, x := range m {
		if name != old && x.Role == "leader" && x.State == "running" {
			return true
		}
	}
	return false
}

// TestPatroniFaultsUnderLoad: Patroni and etcd run two PostgreSQL 15 nodes in
// synchronous mode; two instances of the real binary behind nginx connect with the
// standard multi-host URI and target_session_attrs=read-write. Under load from many
// accounts, each fault runs in turn; after each, the history of every request so far must
// pass the checker, the cluster must be whole again (the old primary back as the
// standby, never two primaries), and the figures are printed.
func TestPatroniFaultsUnderLoad(t *testing.T) {
	ctx := withTimeout(t, 5*time.Minute)
	cluster := startPatroni(ctx, t)
	first, _ := cluster.waitHealthy(ctx, time.Minute)
	cluster.createProbeTable(t, first)
	if err := db.EnsureDatabase(ctx, parseConfig(t, cluster.dsn("docodego"))); err != nil {
		t.Fatal(err)
	}
	apps := startApps(t, cluster.dsn("docodego"), "app-a", "app-b")
	base := startNginx(t, apps[0].addr, apps[1].addr)
	w := newWorkload(base)
	accounts := w.signUp(t, loadAccounts)
	// Pages held open through each fault, on accounts of their own, each with a second
	// session that will end the page's: made before any load, when hashing is free.
	pages := w.signUp(t, openPages*len(faults))
	for i, a := range pages {
		for try := 0; len(a.others) == 0; try++ {
			if try == 30 {
				t.Fatalf("no second session for open page %d", i)
			}
			w.signIn(1000+i, a)
		}
	}
	env := faultEnv{cluster: cluster, apps: apps}
	var report []string
	for i, f := range faults {
		ok := t.Run(f.name, func(t *testing.T) {
			report = append(report, runFault(ctx, t, env, w, accounts, pages[i*openPages:(i+1)*openPages], f))
		})
		if !ok {
			break // the cluster may not be whole: later runs would measure the wreck
		}
	}
	t.Logf("figures per fault:\n%s", strings.Join(report, "\n"))
	if path := os.Getenv("HA_FIGURES"); path != "" { // make test-ha prints them
		if err := os.WriteFile(path, []byte("ha: figures per fault\n"+strings.Join(report, "\n")+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// runFault runs one fault under load and checks it; it returns the figures line.
func runFault(ctx context.Context, t *testing.T, env faultEnv, w *workload, accounts, pages []*account, f fault) string {
	began := time.Now()
	phase := func(what string) { t.Logf("+%s %s", time.Since(began).Round(100*time.Millisecond), what) }
	leader, standby := env.cluster.waitHealthy(ctx, time.Minute)
	from := len(w.rec.Events())
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	wait := w.start(loadCtx, loadClients, accounts)
	primaries := env.cluster.watchPrimaries(loadCtx, t)
	ready := watchReadiness(loadCtx, env.apps)

	pagesCtx, closePages := context.WithCancel(ctx)
	defer closePages()
	var watched []<-chan struct{}
	for i, a := range pages {
		watched = append(watched, w.watch(pagesCtx, 1000+i, a, a.main))
	}
	waitEvents(t, w, 30*time.Second, "open pages", func(es []history.Event) bool {
		return countEvents(es[from:], func(e history.Event) bool { return e.Op == history.StreamOpen }) >= openPages
	})
	waitEvents(t, w, 30*time.Second, "load before the fault", func(es []history.Event) bool {
		return countEvents(es[from:], func(e history.Event) bool { return e.Writes() && e.OK() }) >= 15
	})

	phase("load running, pages open: fault")
	faultAt := time.Now() // until the fault says it struck
	env.struck = func() { faultAt = time.Now() }
	var revokes sync.WaitGroup
	for i, a := range pages { // end each open page's session during the fault
		revokes.Add(1)
		go func() {
			defer revokes.Done()
			w.revokeUntilConfirmed(loadCtx, 1000+i, a)
		}()
	}
	f.inject(t, env, leader)
	if f.dbFault { // the roles seen until Patroni notices are the old ones
		env.cluster.waitRoles(ctx, 60*time.Second, "the old primary no longer leads", func(m map[string]member) bool {
			return m[leader.name].Role != "leader"
		})
		phase("Patroni took the lead from the old primary")
	}
	waitEvents(t, w, 60*time.Second, "a successful write after the fault", func(es []history.Event) bool {
		return countEvents(es[from:], func(e history.Event) bool { return e.Writes() && e.OK() && !e.Start.Before(faultAt) }) > 0
	})
	phase("first successful write")
	newLeader, newStandby := env.cluster.waitHealthy(ctx, 90*time.Second)
	phase("cluster whole again")
	if f.dbFault && (newLeader != standby || newStandby != leader) {
		t.Errorf("after the fault %s leads and %s follows; want the old standby %s leading and the old primary %s back as its standby",
			newLeader.name, newStandby.name, standby.name, leader.name)
	}
	leadership := "the leader stayed"
	if newLeader != leader {
		leadership = "failed over to " + newLeader.name
	}
	revokes.Wait()
	healthyAt := time.Now()
	waitEvents(t, w, 60*time.Second, "load on the whole cluster", func(es []history.Event) bool {
		return countEvents(es[from:], func(e history.Event) bool { return e.Writes() && e.OK() && e.Start.After(healthyAt) }) >= 15
	})
	stopLoad()
	wait()
	phase("load stopped")
	for i, done := range watched {
		select {
		case <-done:
		case <-time.After(45 * time.Second): // past the stream's 20 s heartbeat re-check
			t.Errorf("open page %d was not sent to sign-in within 45 s after the load stopped", i)
		}
	}
	closePages()
	phase("open pages sent to sign-in")
	w.verifyAll()
	phase("every session read again")

	events := w.rec.Events()
	sum := history.Summarize(events[from:], faultAt)
	for _, v := range checker.Check(events) {
		t.Errorf("checker: %s", v)
	}
	polls, rogue, rogueSpan, acked, seen := primaries.result()
	for _, s := range seen {
		t.Logf("probe: %s", s)
	}
	for _, a := range acked {
		t.Errorf("split brain: %s", a)
	}
	if rogueSpan > rogueBound {
		t.Errorf("a node without the leader key stayed read-write for %s (bound %s: one Patroni loop after the thaw)",
			rogueSpan.Round(time.Millisecond), rogueBound)
	}
	env.cluster.assertOneLeader()
	notReady := ready.notReadyBetween(faultAt, faultAt.Add(sum.Recovery))
	if f.dbFault && notReady == 0 {
		t.Errorf("no /readyz answered 503 while there was no writable primary")
	}
	if f.dbFault && sum.Recovery > 10*time.Second {
		t.Logf("first successful write %s after the fault: over the 10 s goal", sum.Recovery)
	}
	saveHistory(t, f.name, events[from:])
	line := fmt.Sprintf("%-26s %s; %s; node probes %d, read-write without the leader key %d (longest %s), probe commits there %d; "+
		"/readyz 503 answers in the window: %d; open pages sent to sign-in: %s; %d violations",
		f.name, sum, leadership, polls, rogue, rogueSpan.Round(time.Millisecond), len(acked), notReady,
		signOuts(events[from:]), len(checker.Check(events)))
	t.Log(line)
	return line
}

// revokeUntilConfirmed ends the account's open page's session (its main) from its second
// session, retrying through the outage as a person would, until the app confirms it.
func (w *workload) revokeUntilConfirmed(ctx context.Context, client int, a *account) {
	if len(a.others) == 0 {
		return
	}
	by := a.others[0]
	for ctx.Err() == nil {
		e, _, _ := w.request(client, history.Revoke, "DELETE", "/api/auth/sessions/"+a.main.id, a, by, nil,
			func(e *history.Event) { e.Target = a.main.key })
		if e.OK() || e.Status == http.StatusNotFound {
			return
		}
		pause(ctx, 200*time.Millisecond)
	}
}

// verifyAll reads every session the run ever had once more, after the fault: a confirmed
// end that was lost answers 200 here (R1), a confirmed sign-in that was lost 401 (R2).
func (w *workload) verifyAll() {
	w.sessionsMu.Lock()
	all := append([]ownedSession(nil), w.sessions...)
	w.sessionsMu.Unlock()
	work := make(chan ownedSession)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				w.request(-2, history.Read, "GET", "/api/users/me/current-session", s.a, s.s, nil, nil)
			}
		}()
	}
	for _, s := range all {
		work <- s
	}
	close(work)
	wg.Wait()
}

func waitEvents(t *testing.T, w *workload, d time.Duration, what string, ok func([]history.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok(w.rec.Events()) {
		if time.Now().After(deadline) {
			t.Fatalf("load: no %s within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countEvents(es []history.Event, keep func(history.Event) bool) int {
	n := 0
	for _, e := range es {
		if keep(e) {
			n++
		}
	}
	return n
}

// saveHistory keeps the run's history beside the test's output when HA_HISTORY_DIR is set
// (the checker's recorded test histories came from there).
func saveHistory(t *testing.T, name string, events []history.Event) {
	dir := os.Getenv("HA_HISTORY_DIR")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".jsonl"))
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := history.Save(f, events); err != nil {
		t.Error(err)
	}
}

// readiness records every 503 the apps' /readyz answered, polled every 100 ms.
type readiness struct {
	mu       sync.Mutex
	notReady []time.Time
}

func watchReadiness(ctx context.Context, apps []*app) *readiness {
	r := &readiness{}
	hc := &http.Client{Timeout: 3 * time.Second}
	for _, a := range apps {
		go func() {
			for ctx.Err() == nil {
				resp, err := hc.Get("http://" + a.addr + "/readyz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusServiceUnavailable {
						r.mu.Lock()
						r.notReady = append(r.notReady, time.Now())
						r.mu.Unlock()
					}
				}
				pause(ctx, 100*time.Millisecond)
			}
		}()
	}
	return r
}

func (r *readiness) notReadyBetween(from, to time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, at := range r.notReady {
		if !at.Before(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// signOuts says how the run's open pages were sent to sign-in, and the longest time from
// their revocation's confirmation to it.
func signOuts(events []history.Event) string {
	confirmed := map[string]time.Time{}
	for _, e := range events {
		if e.Op == history.Revoke && e.OK() {
			confirmed[e.Target] = e.End
		}
	}
	how := map[string]int{}
	var slowest time.Duration
	for _, e := range events {
		if e.Op != history.StreamEnded {
			continue
		}
		how[e.Body]++
		if at, ok := confirmed[e.Session]; ok {
			slowest = max(slowest, e.End.Sub(at))
		}
	}
	var parts []string
	for h, n := range how {
		parts = append(parts, fmt.Sprintf("%d by %s", n, h))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%s (at most %s after the revoke's answer)", strings.Join(parts, ", "), slowest.Round(time.Millisecond))
}
