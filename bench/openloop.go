package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The open loop: vegeta sends requests on a clock, whatever the answers take. Its attacker
// ticks at start + k/rate for the k-th request and hands each tick to an idle worker,
// starting another when all are busy, so a slow answer does not hold back the next send
// (up to openLoopWorkers in flight). Its own latency is timed from when the worker took the
// tick, not from the tick's scheduled time, so a send that was late (the load generator
// short of CPU, or out of workers) would hide the wait from the figures: coordinated
// omission. So the latencies here are taken from the scheduled time instead: each Result
// carries its sequence number k, and the latency is end − (start + k/rate)
// (scheduledLatencies); how late vegeta itself was is reported beside them.

// openLoopWorkers bounds the requests in flight; more would only mean a server that has
// already stopped answering.
const openLoopWorkers = 4096

// openLoop sends targeter's requests at rate per second with vegeta.
func (b *bencher) openLoop(targeter vegeta.Targeter, rate int) load {
	return func(ctx context.Context, name string, d time.Duration) (result, error) {
		// Its own transport, whose connections are closed when the row ends: left open,
		// the thousands a row past the server's rate opened stayed idle on the app, each a
		// goroutine whose stack every later row's collections scanned.
		tr := &http.Transport{MaxIdleConnsPerHost: vegeta.DefaultConnections, DisableCompression: true}
		defer tr.CloseIdleConnections()
		attacker := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: tr, Timeout: 10 * time.Second}),
			vegeta.Workers(64), vegeta.MaxWorkers(openLoopWorkers))
		cpuBefore := ownCPU()
		var m vegeta.Metrics
		var sent []sentRequest
		results := attacker.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, d, name)
		for {
			select {
			case <-ctx.Done():
				attacker.Stop()
				return result{}, ctx.Err()
			case res, ok := <-results:
				if !ok {
					m.Close()
					r := openLoopResult(name, &m)
					lat, lag := scheduledLatencies(sent, time.Second/time.Duration(rate))
					r.P50, r.P99, r.P999 = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 0.999)
					r.SendLag = lag
					if r.Requests > 0 {
						r.GenCPU = (ownCPU() - cpuBefore) / time.Duration(r.Requests)
					}
					if len(m.Errors) > 0 {
						logf("  %s: %d errors: %s", name, r.Errors, strings.Join(m.Errors[:min(3, len(m.Errors))], "; "))
					}
					if lag > 5*time.Millisecond {
						logf("  %s: vegeta sent up to %s late (its latencies would hide that; these do not)", name, lag.Round(time.Millisecond))
					}
					return r, nil
				}
				m.Add(res)
				sent = append(sent, sentRequest{seq: res.Seq, at: res.Timestamp, took: res.Latency})
			}
		}
	}
}

// sentRequest is what the latency from the schedule needs of a vegeta Result.
type sentRequest struct {
	seq  uint64
	at   time.Time     // when the worker sent it
	took time.Duration // from at to the answer's end
}

// scheduledLatencies are the requests' latencies from their scheduled send times, and the
// most any was sent late. The attack's start is not in the results: it is taken as the
// earliest at − seq·period, which no request can beat (a tick never fires early).
func scheduledLatencies(sent []sentRequest, period time.Duration) ([]time.Duration, time.Duration) {
	if len(sent) == 0 {
		return nil, 0
	}
	start := sent[0].at.Add(-time.Duration(sent[0].seq) * period)
	for _, s := range sent[1:] {
		if t := s.at.Add(-time.Duration(s.seq) * period); t.Before(start) {
			start = t
		}
	}
	lat := make([]time.Duration, len(sent))
	var lag time.Duration
	for i, s := range sent {
		scheduled := start.Add(time.Duration(s.seq) * period)
		lat[i] = s.at.Add(s.took).Sub(scheduled)
		lag = max(lag, s.at.Sub(scheduled))
	}
	slices.Sort(lat)
	return lat, lag
}

// percentile is the q-quantile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// openLoopResult is vegeta's view of a run as a table row; any answer but 2xx is an error.
func openLoopResult(name string, m *vegeta.Metrics) result {
	r := result{Name: name, Requests: int(m.Requests), RPS: m.Throughput,
		P50: m.Latencies.P50, P99: m.Latencies.P99}
	ok := 0
	for code, n := range m.StatusCodes {
		if c, _ := strconv.Atoi(code); c >= 200 && c < 300 {
			ok += n
		}
	}
	r.Errors = r.Requests - ok
	return r
}

// randomTargeter GETs path as a random user of set with one of its live session cookies,
// picked uniformly as randomScript picks them for wrk, Accept-Encoding as given ("": none;
// identity is sent, so that Go's client does not add gzip of its own).
func randomTargeter(base, path string, set userSet, acceptEncoding string) vegeta.Targeter {
	if acceptEncoding == "" {
		acceptEncoding = "identity"
	}
	return func(t *vegeta.Target) error {
		u := set.user(rand.IntN(set.count) * spreadPrime % set.count)
		t.Method = http.MethodGet
		t.URL = base + path
		t.Header = http.Header{"Cookie": {appCookie + "=" + appCookieValue(u, rand.IntN(liveSessions(u)))},
			"Accept-Encoding": {acceptEncoding}}
		return nil
	}
}

// shareList is the -open-shares flag: the rates of the open-loop rows, as shares of the
// closed-loop maximum (the goals are set at 0.5).
type shareList []float64

var defaultOpenLoopShares = shareList{0.5, 0.8}

func (l shareList) String() string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func (l *shareList) Set(v string) error {
	*l = nil
	for _, f := range strings.Split(v, ",") {
		share, err := strconv.ParseFloat(f, 64)
		if err != nil || share <= 0 || share > 2 {
			return fmt.Errorf("%q is not a share of the maximum between 0 and 2", f)
		}
		*l = append(*l, share)
	}
	return nil
}

// openLoopEndpoints are the endpoints run open loop, each by the uniform closed-loop row
// whose req/s is its maximum.
func (b *bencher) openLoopEndpoints() []struct {
	closed string
	target vegeta.Targeter
} {
	return []struct {
		closed string
		target vegeta.Targeter
	}{
		{"session check · random user, uniform", randomTargeter(b.app.base, checkPath, b.sets.everyone, "")},
		{"list · random 50-session user, uniform", randomTargeter(b.app.base, listPath, b.sets.list, browserEncoding)},
		{"page · random 50-session user, uniform", randomTargeter(b.app.base, pagePath, b.sets.list, browserEncoding)},
	}
}

// openLoopRows runs each endpoint at each share of the req/s its closed-loop row measured
// in this run, for d each. Where the rate at 50 % misses its goal, it then looks for the
// highest rate that meets it (openloop_limit.go), with shorter probes.
func (b *bencher) openLoopRows(ctx context.Context, closed []result, d time.Duration) ([]result, []openLoopLimit, error) {
	var rows []result
	var limits []openLoopLimit
	for _, e := range b.openLoopEndpoints() {
		i := slices.IndexFunc(closed, func(r result) bool { return r.Name == e.closed })
		if i < 0 || closed[i].RPS < 1 {
			logf("open loop of %q: skipped (its closed-loop row did not run)", e.closed)
			continue
		}
		var half result
		halfRate := 0
		for _, share := range b.cfg.openLoopShares {
			rate := max(1, int(share*closed[i].RPS))
			spec := rowSpec{name: openLoopName(e.closed, share, rate), group: "openloop",
				send: b.openLoop(e.target, rate), duration: d, profile: true}
			if err := b.settle(ctx); err != nil { // what the row before left queued
				return rows, limits, err
			}
			r, err := b.measure(ctx, spec)
			if err != nil {
				return rows, limits, err
			}
			r.Versus = e.closed
			rows = append(rows, r)
			if share == 0.5 {
				half, halfRate = r, rate
			}
		}
		_, goal, ok := openLoopGoal(e.closed)
		if !ok || halfRate == 0 || meetsOpenLoopGoal(half, goal) {
			continue
		}
		lim, err := b.highestMeetingRate(ctx, e.target, openLoopLimit{closed: e.closed, max: closed[i].RPS, goal: goal},
			halfRate, min(d, max(d/4, 10*time.Second)))
		if err != nil {
			return rows, limits, err
		}
		limits = append(limits, lim)
	}
	return rows, limits, nil
}

func openLoopName(closed string, share float64, rate int) string {
	return fmt.Sprintf("open loop · %s · %.0f %% of its max, %d/s", closed, 100*share, rate)
}

// deleteTargeter revokes the deleters' sessions from the first-th on, one deleter after
// the other, as deleteScript does for wrk.
func deleteTargeter(base string, first int) vegeta.Targeter {
	var n atomic.Int64
	return func(t *vegeta.Target) error {
		i := int(n.Add(1) - 1)
		d, k := i%deleters, first+i/deleters
		if k >= perDeleter {
			return fmt.Errorf("deleter %d has no session %d left to revoke", d, k)
		}
		t.Method = http.MethodDelete
		t.URL = base + "/api/auth/sessions/" + deleteID(d, k) + "/"
		t.Header = http.Header{"Cookie": {"session=" + token(deleter(d), "current")}}
		return nil
	}
}

// ownCPU is the CPU time (user + system) this process, the load generator, has used.
func ownCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
