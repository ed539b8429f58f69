package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// signUpBurst is how many sign-ups arrive at once (issue 14: 12 parallel sign-ups took the
// process from 53 MB to 206 MB before password hashing was bounded).
const signUpBurst = 50

// signUpReport measures a burst of signUpBurst concurrent sign-ups, all released at once,
// against a fresh app process (so its resident memory is the burst's alone): peak RSS, the
// answers (200, or 503 with Retry-After from a request that waited HASH_WAIT for one of
// the HASH_CONCURRENCY hashing slots, or whose request deadline passed first) and their
// latency. The app runs with the per-IP
// sign-up limit raised, since every request comes from loopback.
func signUpReport(ctx context.Context, bin, dsn, dir string) {
	old, had := os.LookupEnv("SIGNUP_LIMIT")
	os.Setenv("SIGNUP_LIMIT", "1000000") // startApp passes the environment on
	app, err := startApp(ctx, bin, dsn, dir)
	if had {
		os.Setenv("SIGNUP_LIMIT", old)
	} else {
		os.Unsetenv("SIGNUP_LIMIT")
	}
	if err != nil {
		fmt.Printf("\nSign-up burst: not measured (%v)\n", err)
		return
	}
	defer app.stop()
	idle := app.rssNow()
	sampler := sampleRSS(app.cmd.Process.Pid)
	statuses, took := signUpAtOnce(app.base)
	peak := sampler.Stop()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	slices.Sort(took)
	fmt.Printf("\n| %d concurrent sign-ups (fresh app) | 200 | 503 | other | p50 | slowest | RSS before | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|---:|\n", signUpBurst)
	fmt.Printf("| POST /api/auth/sign-up/email | %d | %d | %d | %s | %s | %.1f MB | %.1f MB |\n",
		counts[200], counts[503], len(statuses)-counts[200]-counts[503],
		ms(took[len(took)/2]), ms(took[len(took)-1]), mb(idle), mb(peak))
}

// signUpAtOnce sends signUpBurst sign-ups released together and returns each answer's
// status (0: no answer) and time.
func signUpAtOnce(base string) ([]int, []time.Duration) {
	statuses, took := make([]int, signUpBurst), make([]time.Duration, signUpBurst)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: signUpBurst}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range signUpBurst {
		body := fmt.Sprintf(`{"name":"Burst %d","email":"burst-%d-%d@example.com","password":"correct horse battery staple"}`,
			i, time.Now().UnixNano(), i)
		wg.Go(func() {
			<-start
			t0 := time.Now()
			resp, err := client.Post(base+"/api/auth/sign-up/email", "application/json", strings.NewReader(body))
			took[i] = time.Since(t0)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	return statuses, took
}
