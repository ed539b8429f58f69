package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The open loop's goals are set at half of each endpoint's closed-loop maximum. Where that
// rate misses its goal, the run also looks for the highest rate that meets it here: what
// this machine allows with the load generator on the same cores, and so how far the goal
// is out of reach.

// limitSearchSteps is how many times the search halves the range between 0 and the rate
// that missed: the rate found is within a 32nd of that rate of the highest that holds.
const limitSearchSteps = 5

// openLoopLimit is what the search found for one endpoint: the highest rate tried that met
// the goal, and the lowest that missed it (nil: no such probe).
type openLoopLimit struct {
	closed      string        // the closed-loop row whose req/s is the endpoint's maximum
	max         float64       // that req/s
	goal        time.Duration // the p99 the endpoint must keep, with no errors
	met, missed *result
	// The rates those probes were sent at.
	metRate, missedRate int
}

// openLoopGoals are the p99s the open loop at 50 % must keep, with 0 errors, by endpoint
// (the start of its closed-loop row's name).
var openLoopGoals = map[string]time.Duration{"session check": 10 * time.Millisecond,
	"list": 20 * time.Millisecond, "page": 40 * time.Millisecond}

// openLoopGoal is the endpoint whose closed-loop row is named closed, and its goal.
func openLoopGoal(closed string) (endpoint string, p99 time.Duration, ok bool) {
	for endpoint, p99 := range openLoopGoals {
		if strings.HasPrefix(closed, endpoint+" ·") {
			return endpoint, p99, true
		}
	}
	return "", 0, false
}

func meetsOpenLoopGoal(r result, p99 time.Duration) bool { return r.P99 <= p99 && r.Errors == 0 }

// highestMeetingRate bisects between 0 and missedRate, which missed the goal, for the
// highest rate that meets it, with probes of d each.
func (b *bencher) highestMeetingRate(ctx context.Context, target vegeta.Targeter, lim openLoopLimit, missedRate int, d time.Duration) (openLoopLimit, error) {
	err := bisectRates(missedRate, func(rate int) (bool, error) {
		if err := b.settle(ctx); err != nil {
			return false, err
		}
		spec := rowSpec{name: openLoopName(lim.closed, float64(rate)/lim.max, rate) + " (search)",
			group: "openloop", send: b.openLoop(target, rate), duration: d}
		r, err := b.measure(ctx, spec)
		if err != nil {
			return false, err
		}
		r.Versus = lim.closed
		held := meetsOpenLoopGoal(r, lim.goal)
		if held {
			lim.met, lim.metRate = &r, rate
		} else {
			lim.missed, lim.missedRate = &r, rate
		}
		return held, nil
	})
	return lim, err
}

// bisectRates halves (0, missed) limitSearchSteps times, probing the middle: up where it
// held, down where it did not. The last probe that held is the highest rate found.
func bisectRates(missed int, probe func(rate int) (held bool, err error)) error {
	lo, hi := 0, missed
	for range limitSearchSteps {
		rate := (lo + hi) / 2
		if rate <= lo {
			return nil
		}
		held, err := probe(rate)
		if err != nil {
			return err
		}
		if held {
			lo = rate
		} else {
			hi = rate
		}
	}
	return nil
}

// describe is the limit as the goals table states it beside the missed goal.
func (l openLoopLimit) describe() string {
	switch {
	case l.met != nil:
		return fmt.Sprintf("held up to %d/s, %.0f %% of its max", l.metRate, 100*float64(l.metRate)/l.max)
	case l.missed != nil:
		return fmt.Sprintf("held at no rate tried, down to %d/s", l.missedRate)
	}
	return "no lower rate tried"
}
