package main

import (
	"context"
	"net/http"
	"time"

	"github.com/docodego/sessions/db"
)

// bencher runs one measured row: wrk against the app (or better-auth), then pgbench for
// the ceiling.
type bencher struct {
	cfg        benchConfig
	dir        string
	app        *appProcess
	betterAuth *betterAuthProcess // nil: its rows are skipped
	listFloor  *listFloorProcess  // nil: the list's floor rows are skipped (-rows without list)
	pgBin      string
	pgHost     string
	store      *db.Store
	tokens     struct{ everyone, list, betterAuth tokenFile } // the random-user rows' cookies
	sets       struct{ everyone, list userSet }               // whom the random-user rows pick from
	dbname     string                                         // the database the app and pgbench use
}

// writeAppTokens writes the token files of the app's random-user rows.
func (b *bencher) writeAppTokens() (err error) {
	if b.tokens.everyone, err = writeTokens(b.dir, appCookie, b.sets.everyone, appCookieValue); err != nil {
		return err
	}
	b.tokens.list, err = writeTokens(b.dir, appCookie, b.sets.list, appCookieValue)
	return err
}

// target is a server the rows load: its address, its process (for RSS) and its counter of
// database round trips ("": it has none).
type target struct {
	base, metrics string
	pid           int
}

// target is the server spec's row loads.
func (b *bencher) target(spec rowSpec) target {
	if spec.on != nil {
		return *spec.on
	}
	return target{base: b.app.base, metrics: b.app.metrics, pid: b.app.cmd.Process.Pid}
}

// load sends one row's requests for d and reports them: wrk at a fixed concurrency
// (closed loop: a connection sends its next request when the last is answered), or a fixed
// rate (open loop: requests start on schedule, whatever the answers take).
type load func(ctx context.Context, name string, d time.Duration) (result, error)

// wrk is a closed-loop load of script on base at conns connections (0: the configured count).
func (b *bencher) wrk(base, script string, conns int) load {
	return func(ctx context.Context, name string, d time.Duration) (result, error) {
		cfg := b.cfg
		cfg.duration = d
		if conns > 0 {
			cfg.conns = conns
		}
		return wrkRun(ctx, b.dir, base, name, script, cfg)
	}
}

// measure runs one row: the warm-up, the load while counting round trips and sampling
// RSS, then pgbench for the ceiling.
func (b *bencher) measure(ctx context.Context, spec rowSpec) (result, error) {
	name, send, on := spec.name, spec.send, b.target(spec)
	if spec.script != "" {
		send = b.wrk(on.base, spec.script, spec.conns)
	}
	logf("measuring %s", name)
	if spec.warm {
		if _, err := send(ctx, "warm "+name, 2*time.Second); err != nil {
			return result{}, err
		}
	}
	trips0, err := scrapeTrips(on.metrics)
	if err != nil {
		return result{}, err
	}
	prof, err := b.startProfile(ctx, spec, on)
	if err != nil {
		return result{}, err
	}
	sampler := sampleRSS(on.pid)
	cpu0, busy0, start := procCPU(on.pid), machineBusy(), time.Now()
	d := b.cfg.duration
	if spec.duration > 0 {
		d = spec.duration
	}
	r, err := send(ctx, name, d)
	cpu := procCPU(on.pid) - cpu0
	r.BusyCores = float64(machineBusy()-busy0) / float64(time.Since(start))
	r.RSS = sampler.Stop()
	if err != nil {
		return result{}, err
	}
	if r.Requests > 0 {
		r.CPU = cpu / time.Duration(r.Requests)
	}
	if err := prof.finish(ctx, &r); err != nil {
		return result{}, err
	}
	trips1, err := scrapeTrips(on.metrics)
	if err != nil {
		return result{}, err
	}
	r.Trips, r.Versus = -1, spec.versus
	if on.metrics != "" && r.Requests > 0 {
		r.Trips = (trips1 - trips0) / float64(r.Requests)
	}
	if spec.ceiling == "" {
		return r, nil
	}
	cfg := b.cfg
	if spec.ceilingConns > 0 {
		cfg.conns = spec.ceilingConns
	}
	r.Ceiling, err = pgbenchRun(ctx, b.dir, b.pgBin, b.pgHost, b.dbname, name, spec.ceiling, cfg)
	if err != nil {
		return result{}, err
	}
	return r, nil
}

// rowProfile is a profile being taken during a row (-profile): the app's CPU, and
// PostgreSQL's statements since the reset.
type rowProfile struct {
	b    *bencher
	done chan struct{}
	cpu  cpuBreakdown
	err  error
}

// startProfile resets the statement timings and starts the CPU profile of on, for the
// row's duration less a second (so that it ends inside the load); nil when the row is
// not profiled.
func (b *bencher) startProfile(ctx context.Context, spec rowSpec, on target) (*rowProfile, error) {
	if b.cfg.profileDir == "" || !spec.profile {
		return nil, nil
	}
	if err := resetStatements(ctx, b.store); err != nil {
		return nil, err
	}
	p := &rowProfile{b: b, done: make(chan struct{})}
	d := b.cfg.duration
	if spec.duration > 0 {
		d = spec.duration
	}
	seconds := max(1, int(d.Seconds())-1)
	go func() {
		defer close(p.done)
		p.cpu, p.err = profileDuring(ctx, on.metrics, profilePath(b.cfg.profileDir, spec.name, spec.build), seconds)
	}()
	return p, nil
}

// finish waits for the profile and puts it and the statements in r.
func (p *rowProfile) finish(ctx context.Context, r *result) error {
	if p == nil {
		return nil
	}
	stmts, err := readStatements(ctx, p.b.store)
	<-p.done
	if err != nil {
		return err
	}
	if p.err != nil {
		return p.err
	}
	r.Profile, r.Statements = &p.cpu, stmts
	return nil
}

// settle waits, after a row that overloaded the app (an open loop past what it can
// answer leaves requests queued), until the database is quiet and the app answers a
// session check 200 three times in a row (at most 2 minutes), so the next row does not
// measure the backlog.
func (b *bencher) settle(ctx context.Context) error {
	if err := waitForQuiet(ctx, b.store); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for ok := 0; ok < 3 && time.Now().Before(deadline); {
		req, err := http.NewRequestWithContext(ctx, "GET", b.app.base+checkPath, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", appCookie+"="+appCookieValue(0, 0))
		if resp, err := http.DefaultClient.Do(req); err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			ok++
		} else {
			if err == nil {
				resp.Body.Close()
			}
			ok = 0
			time.Sleep(500 * time.Millisecond)
		}
	}
	return ctx.Err()
}
