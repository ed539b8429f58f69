// Command sessions serves DoCodeGo Sessions: the page and API where people see and end
// the places they are signed in.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/live"
)

// streamMemory is what one open live stream holds, measured: ~17 KB of heap (its hijacked
// connection's 16 KB read buffer, the request) and one goroutine's stack.
const streamMemory = 32 << 10

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		os.Exit(runAdmin(os.Args[2:], os.Stdout, os.Stderr, log))
	}
	if err := run(log); err != nil {
		log.Error("sessions stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	if cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, dbConfig, closeDB, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()

	// Live updates: one LISTEN connection of this instance's own, beside the pool.
	hub := live.New(cfg.Streams)
	if cfg.MemoryLimit > 0 {
		// The soft limit is for the app's own working set; open streams add theirs on top,
		// or a few thousand idle streams would keep the collector running all the time.
		hub.OnCount(func(n int) { debug.SetMemoryLimit(cfg.MemoryLimit + int64(n)*streamMemory) })
	}
	defer hub.Close()
	if err := hub.Listen(ctx, dbConfig.NewListener, 10*time.Second, log); err != nil {
		return err
	}
	cfg.Auth.Places = openPlaces(cfg.GeoIPDir, log)
	defer cfg.Auth.Places.Close()
	h, err := handlers.Build(ctx, store, handlers.Settings{
		AppName: cfg.AppName, BaseURL: cfg.BaseURL, Auth: cfg.Auth, Live: hub, DBSC: cfg.DBSC,
	}, log)
	if err != nil {
		return err
	}
	app := h.NewApp(handlers.AppOptions{TrustedProxies: cfg.TrustedProxies})
	cfg.Janitor.IdleTimeoutNow = func() time.Duration { return h.AuthService().Config().IdleTimeout } // the policy in force
	stopBackground, err := startBackground(ctx, store, h.AuthService(), cfg, log)
	if err != nil {
		return err
	}
	defer stopBackground() // before the store closes (defers run last-in first-out)

	serveErr := make(chan error, 1)
	if cfg.MetricsAddr != "" {
		metricsSrv := &http.Server{Addr: cfg.MetricsAddr, Handler: metricsMux(h), ReadHeaderTimeout: 5 * time.Second}
		go func() { serveErr <- fmt.Errorf("metrics: %w", metricsSrv.ListenAndServe()) }()
		defer metricsSrv.Close()
		log.Info("metrics", "addr", "http://"+cfg.MetricsAddr+"/metrics")
	}
	ln, err := listen(cfg)
	if err != nil {
		return err
	}
	go func() { serveErr <- app.Listener(ln) }()
	scheme := "http://"
	if cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	log.Info("listening", "addr", scheme+ln.Addr().String(), "app", cfg.AppName, "base_url", cfg.BaseURL)
	// The one line a newcomer of `make run` needs, plain so it stands out from the log.
	fmt.Fprintf(os.Stderr, "\nOpen %s/signup (Ctrl-C stops)\n\n", cfg.BaseURL)
	select {
	case err := <-serveErr:
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "live_streams", hub.Count())
	// Streams first: they never finish by themselves, and the pages reconnect elsewhere.
	hub.Close()
	if err := app.ShutdownWithTimeout(20 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// metricsMux serves /metrics, and Go's profiles under /debug/pprof/ for finding where
// time goes under load (BENCHMARKS.md). Both only on METRICS_ADDR, never the public port.
func metricsMux(h *handlers.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h.MetricsHandler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace) // where a request waits, not only what burns CPU
	return mux
}

// openPlaces maps the DB-IP files, or says in one line why sessions will show no place:
// the app serves either way (and /readyz does not depend on it).
func openPlaces(dir string, log *slog.Logger) *geo.DB {
	places, err := geo.Open(dir)
	switch {
	case err == nil:
		log.Info("geoip: locations from DB-IP City Lite", "dir", dir)
	case errors.Is(err, geo.ErrOff):
		log.Info("geoip: locations off (GEOIP_DIR=off)")
	case errors.Is(err, fs.ErrNotExist):
		log.Warn("geoip: no location data, sessions show no place (make run fetches it when npm is present)", "dir", dir, "error", err)
	default:
		log.Error("geoip: location data unreadable, sessions show no place", "dir", dir, "error", err)
	}
	return places
}

// listen binds ADDR before the address is printed, so whoever reads it can connect at once;
// with TLS_CERT_FILE it serves https as Fiber's ListenTLS would.
func listen(cfg config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	if cfg.TLSCertFile == "" {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("TLS_CERT_FILE, TLS_KEY_FILE: %w", err)
	}
	return tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}), nil
}
