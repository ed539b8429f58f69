package main

import (
	"fmt"
	"time"
)

// printBreakdowns prints, for every profiled row, where an answer's time went: PostgreSQL's
// statements (server time per answer) and the app's CPU by bucket (bench/cpuprofile.go).
func printBreakdowns(rows []result, dir string) {
	header := false
	for _, r := range rows {
		if r.Profile == nil || r.Requests == 0 {
			continue
		}
		if !header {
			fmt.Printf("\n## Where the time goes (-profile: profiles in %s, `go tool pprof -top FILE`)\n", dir)
			header = true
		}
		printBreakdown(r)
	}
}

// perAnswer is d spread over the answers the row got in the profile's window.
func perAnswer(d time.Duration, r result, window time.Duration) float64 {
	answers := r.RPS * window.Seconds()
	if answers <= 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / answers
}

func printBreakdown(r result) {
	p := r.Profile
	sql := sqlTotal(r.Statements)
	fmt.Printf("\n### %s\n\n%.0f req/s, p99 %s; app CPU %s per answer (/proc, whole row); profile %.0f s, %s of CPU sampled\n\n",
		r.Name, r.RPS, ms(r.P99), us(r.CPU), p.window.Seconds(), p.total.Round(time.Millisecond))
	fmt.Println("| where | µs per answer | share of the app's CPU |\n|---|---:|---:|")
	// pg_stat_statements covers the whole row, the profile its window.
	fmt.Printf("| PostgreSQL: statement execution, server side (pg_stat_statements, %d statements) | %.1f | — |\n",
		len(r.Statements), float64(sql)/float64(time.Microsecond)/float64(r.Requests))
	for _, name := range bucketNames() {
		d := p.buckets[name]
		share := 0.0
		if p.total > 0 {
			share = 100 * float64(d) / float64(p.total)
		}
		fmt.Printf("| app: %s | %.1f | %.1f %% |\n", name, perAnswer(d, r, p.window), share)
	}
	fmt.Printf("| app: all (profile) | %.1f | 100 %% |\n", perAnswer(p.total, r, p.window))
	if len(r.Statements) == 0 {
		return
	}
	fmt.Println("\n| statement (top 6 by server time) | calls per answer | µs per call | µs per answer |\n|---|---:|---:|---:|")
	for i, s := range r.Statements {
		if i == 6 {
			break
		}
		per := 0.0
		if s.Calls > 0 {
			per = float64(s.Total) / float64(time.Microsecond) / float64(s.Calls)
		}
		fmt.Printf("| `%s` | %.2f | %.1f | %.1f |\n", shortQuery(s.Query, 90),
			float64(s.Calls)/float64(r.Requests), per, float64(s.Total)/float64(time.Microsecond)/float64(r.Requests))
	}
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
