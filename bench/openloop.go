package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// openLoop sends targeter's requests at rate per second with vegeta.
func (b *bencher) openLoop(targeter vegeta.Targeter, rate int) load {
	return func(ctx context.Context, name string, d time.Duration) (result, error) {
		attacker := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.MaxWorkers(256))
		var m vegeta.Metrics
		results := attacker.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, d, name)
		for {
			select {
			case <-ctx.Done():
				attacker.Stop()
				return result{}, ctx.Err()
			case res, ok := <-results:
				if !ok {
					m.Close()
					return openLoopResult(name, &m), nil
				}
				m.Add(res)
			}
		}
	}
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
