package firstrun_test

import (
	"os"
	"regexp"
	"testing"
	"time"
)

// benchTimeout bounds one shortened `make bench` or `make bench-scale`, its build included.
const benchTimeout = 12 * time.Minute

// TestMakeBench runs the README's load tests as a user runs them, in a fresh clone: `make
// bench` with every part and `make bench-scale` at 1/2000, both with flags that shorten
// each part (the README's `-d`, `-open-d`, `-quick`, `SCALE`), so their figures are not
// results. It checks that each ends well and prints its tables with figures in them: the
// rows, the goals, the open loop, the live rows, and the scale rows, the janitor's
// deletions and the table sizes. Their load would slow every other package's tests, so
// `go test ./...` skips it and `make test` runs it after them (make bench-smoke).
func TestMakeBench(t *testing.T) {
	if os.Getenv("BENCH_SMOKE") == "" {
		t.Skip("make test runs this after the other packages (make bench-smoke): BENCH_SMOKE=1")
	}
	repo, head := repository(t)
	u := self(t)
	dir := clone(t, repo, head, u)

	out := finish(t, start(t, u, dir, nil, "make", "bench", "BENCH_FLAGS=-quick -d 1s -open-d 1s"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\| session check · random user, uniform \| [1-9]\d* \|`),
		regexp.MustCompile(`(?m)^\| list · random 50-session user, uniform \| [1-9]\d* \|`),
		regexp.MustCompile(`(?m)^\| page · random 50-session user, uniform \| [1-9]\d* \|`),
		regexp.MustCompile(`(?m)^\| page ≥ 0\.5 × list req/s, uniform \| \d+ / \d+ = \d`),
		regexp.MustCompile(`(?m)^\| session check · random user, uniform · 50 % of its max, \d+/s \| [1-9]\d* \|`),
	} {
		if !want.MatchString(out) {
			t.Errorf("make bench printed no line matching %s", want)
		}
	}

	out = finish(t, start(t, u, dir, nil, "make", "bench-scale", "SCALE=0.0005", "BENCH_FLAGS=-quick -d 1s"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^## 5 thousand sessions \(-scale 0\.0005\)`),
		regexp.MustCompile(`(?m)^\| session check · random user, uniform \| \d+, [\d.]+ ms \| [1-9]\d*, [\d.]+ ms \|`),
		regexp.MustCompile(`deleted 1500 sessions in`),
		regexp.MustCompile(`(?m)^\| the audit log beside it \(audit_events, pg_total_relation_size\) \| \d+ MB`),
		regexp.MustCompile(`prewarmed the sessions and users tables`),
	} {
		if !want.MatchString(out) {
			t.Errorf("make bench-scale printed no line matching %s", want)
		}
	}
}

// finish waits for a's command to end, fails the test unless it ended well, and returns
// its output.
func finish(t *testing.T, a *app) string {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(benchTimeout):
		t.Fatalf("%v still running after %s", a.cmd.Args, benchTimeout)
	}
	if a.exitErr != nil {
		t.Fatalf("%v: %v", a.cmd.Args, a.exitErr) // start's cleanup logs its output
	}
	t.Logf("%v took %s", a.cmd.Args, time.Since(a.started).Round(time.Second))
	return a.output()
}
