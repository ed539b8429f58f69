// Package testserver runs the whole app on a loopback port and a fresh database, for
// browser, client and end-to-end tests. The test binary's TestMain must call dbtest.Main.
package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/handlers"
	"github.com/docodego/sessions/live"
)

// Options change the app under test; zero values give the defaults.
type Options struct {
	AppName   string
	Auth      *auth.Config
	DSN       string        // run on this database (say, another server's DSN) instead of a fresh one
	Streams   live.Limits   // live stream limits; zero: the defaults
	Heartbeat time.Duration // of live streams; zero: the default
	// TrustedProxies are peers whose X-Forwarded-For is believed (say, 127.0.0.1 for a
	// browser that sends the header itself, as if through a proxy).
	TrustedProxies []string
	Places         *geo.DB // location data (geo/geotest builds a small one)
	// TLS serves https with this certificate (NewCert); cookies are then Secure and
	// __Host-, and device-bound sessions are on.
	TLS *Cert
	// Logs collects what the app logs; nil: a buffer of its own (Server.Logs reads either).
	Logs *LogBuffer
}

// Server is a running app.
type Server struct {
	URL     string // http://127.0.0.1:port
	DSN     string // the database it runs on
	Store   *db.Store
	App     *fiber.App
	Hub     *live.Hub
	Handler *handlers.Handler
	logs    *LogBuffer
	ln      net.Listener
}

// Start runs the app until the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	dsn := opt.DSN
	if dsn == "" {
		dsn = dbtest.DSN(t)
	}
	dbConfig, err := db.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), dbConfig, db.PoolOptions{MaxOpen: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1} // fast hashes in tests
	if opt.Auth != nil {
		cfg = *opt.Auth
	}
	if opt.Places != nil {
		cfg.Places = opt.Places
	}
	if opt.AppName == "" {
		opt.AppName = "DoCodeGo"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	if opt.TLS != nil {
		url = "https://" + ln.Addr().String()
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{opt.TLS.TLS}, MinVersion: tls.VersionTLS12})
	}
	logs := opt.Logs
	if logs == nil {
		logs = &LogBuffer{}
	}
	log := slog.New(slog.NewTextHandler(logs, nil))
	if opt.Streams == (live.Limits{}) {
		opt.Streams = live.Limits{PerUser: 20, Total: 10000}
	}
	hub := live.New(opt.Streams)
	listenCtx, stopListening := context.WithCancel(context.Background())
	t.Cleanup(stopListening)
	if err := hub.Listen(listenCtx, dbConfig.NewListener, 10*time.Second, log); err != nil {
		t.Fatal(err)
	}
	h, err := handlers.Build(context.Background(), store, handlers.Settings{
		AppName: opt.AppName, BaseURL: url, Auth: cfg, Live: hub, Heartbeat: opt.Heartbeat,
		DBSC: opt.TLS != nil,
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	app := h.NewApp(handlers.AppOptions{TrustedProxies: opt.TrustedProxies})
	go func() { _ = app.Listener(ln) }()
	s := &Server{URL: url, DSN: dsn, Store: store, App: app, Hub: hub, Handler: h, logs: logs, ln: ln}
	t.Cleanup(s.Stop)
	return s
}

// Stop shuts the server down as main does: live streams end, requests in flight finish;
// later requests fail to connect.
func (s *Server) Stop() {
	s.Hub.Close()
	_ = s.App.Shutdown()
}

// Logs returns everything the app logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// LogBuffer collects log output from many goroutines and reads it back safely.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
