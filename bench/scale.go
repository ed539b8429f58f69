package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/janitor"
)

// The -scale run, after the small seed's rows: the ten-million population (scale_seed.go)
// in a database of its own on the same cluster, an app instance on it, the same
// random-user rows, then the retention janitor across the past sessions while those rows
// run again, and the table's sizes and the instance's memory.
//
// That instance keeps ended sessions 90 days (SESSION_RETENTION), so that its own janitor,
// which sweeps once at start, leaves the past sessions (ended 31-60 days ago) to the
// bench's: janitor.Sweep with the default options (janitor.DefaultOptions) and the auth
// idle timeout, the code every instance runs, run from here so that it is timed exactly.

// scaleRun is what the scale run measured.
type scaleRun struct {
	pop         scalePopulation
	seeded      time.Duration
	rows        []result // without the janitor
	during      []result // while the janitor ran
	janitor     janitor.Result
	janitorTook time.Duration
	sizes       [2]tableSizes
	peakRSS     int64
}

type tableSizes struct {
	sessions, heap, indexes int64
	auditLog                int64 // audit_events, its indexes included
	perIndex                map[string]int64
	rows                    int64
}

func readSizes(ctx context.Context, store *db.Store) (tableSizes, error) {
	var t tableSizes
	err := store.DB().QueryRowxContext(ctx, `SELECT pg_total_relation_size('sessions'), pg_relation_size('sessions'),
		pg_indexes_size('sessions'), (SELECT count(*) FROM sessions), pg_total_relation_size('audit_events')`).
		Scan(&t.sessions, &t.heap, &t.indexes, &t.rows, &t.auditLog)
	if err != nil {
		return t, err
	}
	var ix []struct {
		Name string `db:"indexrelname"`
		Size int64  `db:"size"`
	}
	if err := store.DB().SelectContext(ctx, &ix, `SELECT indexrelname, pg_relation_size(indexrelid) AS size
		FROM pg_stat_user_indexes WHERE relname = 'sessions' ORDER BY indexrelname`); err != nil {
		return t, err
	}
	t.perIndex = map[string]int64{}
	for _, i := range ix {
		t.perIndex[i.Name] = i.Size
	}
	return t, nil
}

// scaleRows seeds the scale database and measures it with the small run's settings.
func (b *bencher) scaleRows(ctx context.Context, srvDSN func(string) string, bin string) (*scaleRun, error) {
	run := &scaleRun{pop: newScalePopulation(b.cfg.scale)}
	dsn := srvDSN("scale")
	dbConfig, err := db.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if err := db.EnsureDatabase(ctx, dbConfig); err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, dbConfig, db.PoolOptions{MaxOpen: 4, StatementTimeout: 2 * time.Hour})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		return nil, err
	}
	if b.cfg.profileDir != "" {
		if err := enableStatements(ctx, store); err != nil {
			return nil, err
		}
	}
	logf("seeding the scale database: %d people, %d sessions (%d ended, %d of them past retention), with COPY",
		run.pop.people, run.pop.sessions(), run.pop.ended, run.pop.past)
	start := time.Now()
	if err := seedScale(ctx, store, dsn, run.pop); err != nil {
		return nil, err
	}
	run.seeded = time.Since(start)
	if run.sizes[0], err = readSizes(ctx, store); err != nil {
		return nil, err
	}
	app, err := startApp(ctx, bin, dsn, filepath.Join(b.dir, "scale"), "SESSION_RETENTION=2160h")
	if err != nil {
		return nil, err
	}
	defer app.stop()
	if err := waitForQuiet(ctx, store); err != nil { // the instance's janitor walks the table at start
		return nil, err
	}
	if err := prewarm(ctx, store); err != nil {
		return nil, err
	}
	s := &bencher{cfg: b.cfg, dir: filepath.Join(b.dir, "scale"), app: app, pgBin: b.pgBin, pgHost: b.pgHost, store: store, dbname: "scale"}
	s.sets.everyone, s.sets.list = run.pop.sets()
	if err := s.writeAppTokens(); err != nil {
		return nil, err
	}
	mix := slices.DeleteFunc(s.rows(), func(r rowSpec) bool { return !r.profile })
	for _, spec := range mix {
		r, err := s.measure(ctx, spec)
		if err != nil {
			return run, err
		}
		run.rows = append(run.rows, r)
	}

	logf("running the janitor across the past sessions, the same rows beside it")
	jan := janitor.New(store, slog.New(slog.DiscardHandler), janitor.Options{IdleTimeout: auth.DefaultConfig().IdleTimeout})
	done := make(chan struct{})
	var jerr error
	start = time.Now()
	go func() {
		defer close(done)
		run.janitor, jerr = jan.Sweep(ctx)
		run.janitorTook = time.Since(start)
	}()
	isDone := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	for !isDone() { // rows that start after the janitor has ended are not measured
		for _, spec := range mix {
			if isDone() {
				break
			}
			spec.ceiling = ""
			spec.name += " · during the janitor"
			r, err := s.measure(ctx, spec)
			if err != nil {
				<-done
				return run, err
			}
			r.Versus = strings.TrimSuffix(spec.name, " · during the janitor")
			if isDone() {
				r.Versus += " (the janitor ended during this row)"
			}
			run.during = append(run.during, r)
		}
	}
	if jerr != nil {
		return run, jerr
	}
	if run.sizes[1], err = readSizes(ctx, store); err != nil {
		return nil, err
	}
	run.peakRSS = peakRSS(app.cmd.Process.Pid)
	return run, nil
}

// printScale prints the scale table beside the small seed's rows.
func printScale(small []result, run *scaleRun, f float64) {
	if run == nil {
		return
	}
	p := run.pop
	fmt.Printf("\n## %s sessions (-scale %g)\n\n%d people, %d sessions (%d live, %d ended, %d of them past retention), seeded with COPY in %.0f s; the random-user rows pick from a sample of %d people and %d 50-session people spread over the population.\n\n",
		humanCount(p.sessions()), f, p.people, p.sessions(), p.live, p.ended, p.past, run.seeded.Seconds(),
		min(p.people, scaleSampleEveryone), min((p.people-2)/20+1, scaleSampleList))
	fmt.Println("| row | small seed: req/s, p99 | scale: req/s, p99 | req/s scale ÷ small (goal ≥ 0.85) | p99 scale ÷ small (goal ≤ 1.5) |\n|---|---:|---:|---:|---:|")
	for _, r := range run.rows {
		i := slices.IndexFunc(small, func(s result) bool { return s.Name == r.Name })
		if i < 0 || small[i].RPS == 0 || small[i].P99 == 0 {
			fmt.Printf("| %s | — | %.0f, %s | — | — |\n", r.Name, r.RPS, ms(r.P99))
			continue
		}
		s := small[i]
		rr, pr := r.RPS/s.RPS, float64(r.P99)/float64(s.P99)
		fmt.Printf("| %s | %.0f, %s | %.0f, %s | %.2f %s | %.2f %s |\n", r.Name, s.RPS, ms(s.P99), r.RPS, ms(r.P99), rr, yesNo(rr >= 0.85), pr, yesNo(pr <= 1.5))
	}
	rate := 0.0
	if run.janitorTook > 0 {
		rate = float64(run.janitor.Sessions) / run.janitorTook.Seconds()
	}
	def := janitor.DefaultOptions()
	fmt.Printf("\nThe janitor (janitor.Sweep, default options: %.0f days' retention, batches of %d, statements at most %.0f %% of the sweep's time) deleted %d sessions in %.1f s (%.0f a second) while these rows ran:\n\n",
		def.SessionRetention.Hours()/24, def.Batch, 100*def.Duty, run.janitor.Sessions, run.janitorTook.Seconds(), rate)
	fmt.Println("| row | without the janitor: req/s, p99 | during it: req/s, p99 | p99 during ÷ without (goal ≤ 2) |\n|---|---:|---:|---:|")
	for _, r := range run.during {
		name := strings.TrimSuffix(r.Name, " · during the janitor")
		j := slices.IndexFunc(run.rows, func(s result) bool { return s.Name == name })
		if j < 0 || run.rows[j].P99 == 0 {
			continue
		}
		w := run.rows[j]
		ratio := float64(r.P99) / float64(w.P99)
		fmt.Printf("| %s | %.0f, %s | %.0f, %s | %.2f %s |\n", r.Versus, w.RPS, ms(w.P99), r.RPS, ms(r.P99), ratio, yesNo(ratio <= 2))
	}
	fmt.Println("\n| sessions table | after seeding | per million sessions | after the janitor (not vacuumed full) | per million sessions |\n|---|---:|---:|---:|---:|")
	per := func(b, rows int64) string {
		if rows == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f MB", mb(b)/(float64(rows)/1e6))
	}
	a, z := run.sizes[0], run.sizes[1]
	line := func(name string, x, y int64) {
		fmt.Printf("| %s | %.0f MB | %s | %.0f MB | %s |\n", name, mb(x), per(x, a.rows), mb(y), per(y, z.rows))
	}
	fmt.Printf("| rows | %d | | %d | |\n", a.rows, z.rows)
	line("total (pg_total_relation_size)", a.sessions, z.sessions)
	line("heap (pg_relation_size)", a.heap, z.heap)
	line("all indexes (pg_indexes_size)", a.indexes, z.indexes)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range a.perIndex {
			if !yield(k) {
				return
			}
		}
	}) {
		line("index "+name, a.perIndex[name], z.perIndex[name])
	}
	line("the audit log beside it (audit_events, pg_total_relation_size)", a.auditLog, z.auditLog)
	fmt.Printf("\nThe scale app instance's peak RSS (VmHWM, /proc): %.1f MB.\n", mb(run.peakRSS))
}

func humanCount(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f million", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%.0f thousand", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
