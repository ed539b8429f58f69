package main

import (
	"strings"
	"testing"
	"time"
)

// A request that the load generator sent late (say, short of CPU) is timed from when it
// was due, not from when it went out: the wait is latency the client saw.
func TestScheduledLatenciesCountLateSends(t *testing.T) {
	start := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	period := 10 * time.Millisecond
	at := func(seq int, late time.Duration) time.Time {
		return start.Add(time.Duration(seq+1)*period + late) // vegeta's tick k fires at (k+1) periods
	}
	sent := []sentRequest{
		{seq: 0, at: at(0, 0), took: time.Millisecond},
		{seq: 1, at: at(1, 0), took: time.Millisecond},
		{seq: 2, at: at(2, 40*time.Millisecond), took: time.Millisecond}, // sent 40 ms late
		{seq: 3, at: at(3, 30*time.Millisecond), took: 2 * time.Millisecond},
	}
	lat, lag := scheduledLatencies(sent, period)
	want := []time.Duration{time.Millisecond, time.Millisecond, 32 * time.Millisecond, 41 * time.Millisecond}
	if len(lat) != len(want) {
		t.Fatalf("latencies %v", lat)
	}
	for i := range want {
		if lat[i] != want[i] {
			t.Errorf("latencies = %v, want %v", lat, want)
			break
		}
	}
	if lag != 40*time.Millisecond {
		t.Errorf("lag = %s, want 40ms", lag)
	}
	if p := percentile(lat, 0.99); p != 41*time.Millisecond {
		t.Errorf("p99 = %s", p)
	}
	if p := percentile(lat, 0.5); p != time.Millisecond {
		t.Errorf("p50 = %s", p)
	}
}

func TestGoalsJudgeTheRun(t *testing.T) {
	rows := []result{
		{Name: "page · random 50-session user, uniform", RPS: 1000, P99: 31 * time.Millisecond},
		{Name: "list · random 50-session user, uniform", RPS: 1900, P99: 20 * time.Millisecond, Ceiling: 3000},
		{Name: "session check · random user, uniform", RPS: 20000, P99: 5 * time.Millisecond},
		{Name: openLoopName("list · random 50-session user, uniform", 0.5, 950), Versus: "list · random 50-session user, uniform", P99: 19 * time.Millisecond},
		{Name: openLoopName("page · random 50-session user, uniform", 0.5, 500), Versus: "page · random 50-session user, uniform", P99: 12 * time.Millisecond, Errors: 1},
		{Name: openLoopName("page · random 50-session user, uniform", 0.8, 800), Versus: "page · random 50-session user, uniform", P99: 90 * time.Millisecond},
		{Name: openLoopName("session check · random user, uniform", 0.5, 10000), Versus: "session check · random user, uniform", P99: 2 * time.Second, Errors: 5},
	}
	held := result{P99: 8 * time.Millisecond}
	limits := []openLoopLimit{{closed: "session check · random user, uniform", max: 20000, goal: 10 * time.Millisecond, met: &held, metRate: 7500}}
	got := map[string]string{}
	for _, g := range goals(rows, limits, 40_001) { // a limit found changes what is measured, not the verdict
		got[g.name] = g.met
	}
	want := map[string]string{
		"page ≥ 0.5 × list req/s, uniform":                                             "**yes**",
		"page p99 ≤ 30 ms, uniform":                                                    "**no**",
		"list ≥ 0.6 × its PostgreSQL ceiling, uniform":                                 "**yes**",
		"session check p99 ≤ 5 ms, uniform":                                            "**yes**",
		"page ≤ 40 KB for 50 sessions (a seeded 50-session user's page, uncompressed)": "**no**",
		"open loop at 50 %: list p99 ≤ 20.00 ms, 0 errors":                             "**yes**",
		"open loop at 50 %: page p99 ≤ 40.00 ms, 0 errors":                             "**no**", // one error
		"open loop at 50 %: session check p99 ≤ 10.00 ms, 0 errors":                    "**no**",
	}
	if len(got) != len(want) {
		t.Errorf("goals = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestTheLimitFoundIsBesideItsMissedGoal(t *testing.T) {
	rows := []result{{Name: openLoopName("session check · random user, uniform", 0.5, 10000), Versus: "session check · random user, uniform", P99: 2 * time.Second}}
	held := result{P99: 8 * time.Millisecond}
	limits := []openLoopLimit{{closed: "session check · random user, uniform", max: 20000, met: &held, metRate: 7500}}
	g := goals(rows, limits, -1)
	if len(g) != 1 || !strings.HasSuffix(g[0].measured, "; held up to 7500/s, 38 % of its max") {
		t.Errorf("goals = %+v", g)
	}
}

func TestBisectRatesFindsTheHighestRateThatHolds(t *testing.T) {
	for _, limit := range []int{0, 1, 3000, 4999, 5000, 9999} {
		best, probes := 0, 0
		err := bisectRates(10000, func(rate int) (bool, error) {
			probes++
			if rate <= 0 || rate >= 10000 {
				t.Fatalf("limit %d: probed %d, outside (0, 10000)", limit, rate)
			}
			held := rate <= limit
			if held {
				best = max(best, rate)
			}
			return held, nil
		})
		if err != nil || probes > limitSearchSteps {
			t.Fatalf("limit %d: %d probes, %v", limit, probes, err)
		}
		if best > limit || limit-best > 10000>>limitSearchSteps+1 { // +1: integer halves
			t.Errorf("limit %d: found %d, want within %d below it", limit, best, 10000>>limitSearchSteps+1)
		}
	}
}
