// Command bench measures the app the way the performance issue asks, in one run: it starts
// a throwaway PostgreSQL, seeds 10,000 then 1,000,000 sessions with real tokens, runs the
// app binary, loads it with wrk, measures the PostgreSQL ceiling of the same queries with
// pgbench on the same cluster, and prints one Markdown table. Run it with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/internal/pgserver"
)

type benchConfig struct {
	duration time.Duration
	conns    int
	threads  int
	quick    bool // seed only the live sessions (~90,000): for quick A/B runs
	hold     bool // keep the seeded cluster and app running for exploring
	only     rowGroups
	// -profile: where profiles go, and whether pg_stat_statements is loaded ("": neither)
	profileDir string
	compare    string        // -compare: a git revision to build and measure beside this one
	cacheOff   string        // -cache-off: comma-separated caches (bench/cacheoff) to measure off against on
	openLoopD  time.Duration // each open-loop row's length
	// -open-shares: the open-loop rows' rates, as shares of each endpoint's closed-loop req/s
	openLoopShares shareList
	scale          float64 // -scale: the ten-million run at this fraction (0: not run)
	// sharedBuffers is the cluster's shared_buffers setting ("": PostgreSQL's default),
	// worked out once in run and printed with the report.
	sharedBuffers string
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func main() {
	var cfg benchConfig
	flag.DurationVar(&cfg.duration, "d", 10*time.Second, "duration of each load run")
	flag.IntVar(&cfg.conns, "c", 32, "concurrent connections (wrk) and clients (pgbench)")
	flag.IntVar(&cfg.threads, "t", 2, "load generator threads")
	flag.BoolVar(&cfg.quick, "quick", false, "seed only the users' live sessions, not the ended ones up to 1,000,000")
	flag.BoolVar(&cfg.hold, "hold", false, "after seeding, print how to reach the cluster and app, and wait for Ctrl-C")
	flag.StringVar(&cfg.profileDir, "profile", "", "save the app's CPU profile of each random-user check, list and page row in this folder, time PostgreSQL's statements (pg_stat_statements), and print where each answer's time goes")
	flag.StringVar(&cfg.compare, "compare", "", "also build this git revision (e.g. HEAD~1) and measure the random-user check, list and page rows on both builds, alternating, against the one seeded cluster")
	flag.StringVar(&cfg.cacheOff, "cache-off", "", "for each comma-separated cache of bench/cacheoff (batching, prepared, generic-plans, gzip-writers), build this tree with it turned off and measure the random-user check, list and page rows on both, alternating, like -compare")
	flag.DurationVar(&cfg.openLoopD, "open-d", 60*time.Second, "duration of each open-loop row (check, list, page at -open-shares of their closed-loop req/s); a search below a missed goal probes for a quarter of it, at least 10 s")
	cfg.openLoopShares = defaultOpenLoopShares
	flag.Var(&cfg.openLoopShares, "open-shares", "the open-loop rows' rates, as comma-separated shares of each endpoint's closed-loop req/s (the goals are at 0.5; where it misses them, a search below it follows)")
	flag.Float64Var(&cfg.scale, "scale", 0, "after the rows, seed 1,000,000 × this people and 10,000,000 × this sessions (3,000,000 × this past retention) in a second database with COPY, run the random-user check, list and page rows on it, then again while the retention janitor deletes the past sessions (make bench-scale: 1)")
	flag.Var(&cfg.only, "rows", "only these comma-separated parts (default all): "+strings.Join(allGroups, ","))
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		logf("bench: %v", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg benchConfig) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is missing: apt-get install -y wrk")
	}
	dir, err := os.MkdirTemp("", "docodego-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sessions")
	logf("building the app")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}

	logf("starting a throwaway PostgreSQL")
	pgOpt := pgserver.LocalOptions{Ephemeral: true, Logger: slog.New(slog.DiscardHandler)}
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
		pgOpt.Settings = []string{pgStatementsSetting}
	}
	if buffers, ok := sharedBuffersSetting(); ok {
		pgOpt.Settings = append(pgOpt.Settings, buffers)
		cfg.sharedBuffers = buffers
	}
	if cfg.scale > 0 {
		// The scale seed rebuilds the sessions indexes after its COPY.
		pgOpt.Settings = append(pgOpt.Settings, "maintenance_work_mem=1GB", "max_wal_size=8GB")
	}
	srv, err := pgserver.StartLocal(ctx, pgOpt)
	if err != nil {
		return err
	}
	defer srv.Stop()
	dsn := srv.DSN("bench")
	dbConfig, err := db.ParseConfig(dsn)
	if err != nil {
		return err
	}
	if err := db.EnsureDatabase(ctx, dbConfig); err != nil {
		return err
	}
	store, err := db.Open(ctx, dbConfig, db.PoolOptions{MaxOpen: 2, StatementTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := db.Migrate(ctx, store.DB().DB); err != nil {
		return err
	}
	if cfg.profileDir != "" {
		if err := enableStatements(ctx, store); err != nil {
			return err
		}
	}
	pgCfg, err := pq.NewConfig(dsn)
	if err != nil {
		return err
	}
	pgBin, err := pgserver.FindPostgresBinaries()
	if err != nil {
		return err
	}

	if cfg.quick {
		logf("seeding %d users and their live sessions (no ended ones: -quick)", users)
	} else {
		logf("seeding %d users and %d sessions", users, largeSessions)
	}
	if err := seed(ctx, store, !cfg.quick); err != nil {
		return err
	}
	if cfg.only.want("signin") {
		if err := setSignInPasswords(ctx, store); err != nil {
			return err
		}
	}
	app, err := startApp(ctx, bin, dsn, dir)
	if err != nil {
		return err
	}
	defer app.stop()
	if err := waitForQuiet(ctx, store); err != nil { // the app's janitor sweeps once at start
		return err
	}
	idle := app.rssNow()
	b := &bencher{cfg: cfg, dir: dir, app: app, pgBin: pgBin, pgHost: pgCfg.Host, store: store, dbname: "bench"}
	b.sets.everyone, b.sets.list = everyone, listUsers
	if err := b.writeAppTokens(); err != nil {
		return err
	}
	if cfg.only.want("betterauth") {
		if b.betterAuth, err = startBetterAuth(ctx, pgCfg, dir); err != nil { // bench/betterauth.go
			return err
		}
		if b.betterAuth != nil {
			defer b.betterAuth.stop()
			if b.tokens.betterAuth, err = writeTokens(dir, betterAuthCookie, listUsers, betterAuthCookieValue); err != nil {
				return err
			}
		}
	}
	if cfg.only.want("list") {
		if b.listFloor, err = startListFloor(ctx, dir, dsn, appCookie, appCookieValue(listUser(0), 0)); err != nil {
			return err
		}
		defer b.listFloor.stop()
	}
	if cfg.hold {
		return b.hold(ctx, dsn)
	}

	var rows []result
	for _, spec := range b.rows() {
		r, err := b.measure(ctx, spec)
		if err != nil {
			printReport(cfg, rows, 0, idle) // what was measured before the failure
			return err
		}
		rows = append(rows, r)
	}
	var open, compared []result
	var limits []openLoopLimit
	var liveErr error
	if cfg.only.want("openloop") {
		if open, limits, err = b.openLoopRows(ctx, rows, cfg.openLoopD); err != nil { // bench/openloop.go
			printReport(cfg, rows, 0, idle)
			return err
		}
		if err := b.settle(ctx); err != nil {
			return err
		}
	}
	others, err := otherBuilds(ctx, cfg, dir) // bench/compare.go
	if err != nil {
		return err
	}
	for _, o := range others {
		c, err := b.compareBuilds(ctx, o.bin, o.label, dsn)
		compared = append(compared, c...)
		if err != nil {
			printReport(cfg, rows, 0, idle)
			printComparison(compared)
			return err
		}
	}
	pageBytes := -1
	if cfg.only.want("page") {
		if pageBytes, err = b.pageSize(ctx); err != nil {
			return err
		}
	}
	// The live rows revoke some of the list users' sessions: after every row that picks them.
	if cfg.only.want("live") {
		if err := b.settle(ctx); err != nil {
			return err
		}
		// A failure here is printed with the tables, which the rows before it filled.
		if rows, err = b.appendLiveRows(ctx, rows, bin, dsn); err != nil { // bench/live.go
			liveErr = fmt.Errorf("%w\nthe app's log ends:\n%s", err, logTail(filepath.Join(dir, "app.log"), 10))
		}
	}
	var scaled *scaleRun
	if cfg.scale > 0 {
		if scaled, err = b.scaleRows(ctx, srv.DSN, bin); err != nil { // bench/scale.go
			printReport(cfg, rows, 0, idle)
			printScale(rows, scaled, cfg.scale)
			return err
		}
	}
	n, _ := countSessions(ctx, store)
	printReport(cfg, rows, n, idle)
	printOpenLoop(open, limits)
	printGoals(append(rows, open...), limits, pageBytes)
	printBreakdowns(rows, cfg.profileDir)
	printComparison(compared)
	printScale(rows, scaled, cfg.scale)
	if liveErr != nil {
		fmt.Printf("\nThe live rows failed, not measured: %v\n", liveErr)
	}
	if cfg.only.want("betterauth") && b.betterAuth == nil {
		fmt.Println("\nbetter-auth rows: not measured (node or npm is not installed: apt-get install -y nodejs npm)")
	} else if b.betterAuth != nil {
		if c := b.betterAuth.complaints(); c != "" {
			fmt.Printf("\nbetter-auth logged during its rows:\n\n```\n%s\n```\n", c)
		}
	}
	if cfg.only.want("geo") {
		geoReport(app.cmd.Process.Pid) // bench/geo.go
	}
	if cfg.only.want("signup") {
		signUpReport(ctx, bin, dsn, dir) // bench/signup.go
	}
	return nil
}

// hold writes the rows' wrk scripts next to the token files, says how to reach everything,
// and waits for Ctrl-C: for A/B runs of two builds against one seeded cluster.
func (b *bencher) hold(ctx context.Context, dsn string) error {
	for _, spec := range b.rows() {
		if spec.script == "" {
			continue
		}
		path := filepath.Join(b.dir, scriptName(spec.name)+".lua")
		if err := os.WriteFile(path, []byte(spec.script), 0o644); err != nil {
			return err
		}
		logf("%s\n  wrk -t2 -c32 -d10s --latency -s %s %s", spec.name, path, b.target(spec).base)
	}
	logf("DATABASE_URL=%q\napp %s (cookie session=%s)\nmetrics %s", dsn, b.app.base, token(0, "0"), b.app.metrics)
	if b.betterAuth != nil {
		logf("better-auth %s (cookie %s=%s)", b.betterAuth.on.base, betterAuthCookie, betterAuthCookieValue(listUser(0), 0))
	}
	logf("Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// appProcess is the app binary serving on loopback.
type appProcess struct {
	cmd     *exec.Cmd
	base    string
	metrics string
}

// startApp runs bin against dsn, its log in dir (made when missing), with env added to
// the bench's settings.
func startApp(ctx context.Context, bin, dsn, dir string, env ...string) (*appProcess, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, maddr := freeAddr(), freeAddr()
	logPath := filepath.Join(dir, "app.log")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "ADDR="+addr, "METRICS_ADDR="+maddr, "BASE_URL=http://"+addr,
		"TRUSTED_PROXIES=127.0.0.1",   // the sign-in row's clients have addresses of their own
		"REAUTH_WINDOW="+reauthWindow) // the deleters proved their password at seeding
	cmd.Env = append(cmd.Env, env...)
	if err := startLogged(cmd, logPath); err != nil {
		return nil, err
	}
	a := &appProcess{cmd: cmd, base: "http://" + addr, metrics: "http://" + maddr + "/metrics"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(a.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			a.stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("app not ready: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A real cookie must work before anything is measured.
	req, _ := http.NewRequest("GET", a.base+"/api/auth/sessions/", nil)
	req.Header.Set("Cookie", "session="+token(0, "0"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.stop()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		a.stop()
		return nil, fmt.Errorf("seeded token refused: %d", resp.StatusCode)
	}
	return a, nil
}

func (a *appProcess) rssNow() int64 { return rss(a.cmd.Process.Pid) }

func (a *appProcess) stop() { stopProcess(a.cmd) }

// startLogged starts cmd with its output in a new file at logPath, killed if the bench dies.
func startLogged(cmd *exec.Cmd, logPath string) error {
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd.Start()
}

// stopProcess asks cmd's process to end, and kills it after 10 s.
func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// logTail is the last n lines of the file at path, for an error that needs the app's words.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
