package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/device"
	"github.com/docodego/sessions/live"
	"github.com/docodego/sessions/locale"
)

// Settings are what Build needs beyond the store.
type Settings struct {
	AppName   string
	BaseURL   string
	Auth      auth.Config
	Live      *live.Hub     // nil: no live stream
	Heartbeat time.Duration // of live streams; 0 is DefaultHeartbeat
	DBSC      bool          // device-bound sessions over https (config DBSC, default on)
}

// Build wires the domain services into a Handler: the one place the app is assembled,
// used by main and by the test servers alike.
func Build(ctx context.Context, store *db.Store, s Settings, log *slog.Logger) (*Handler, error) {
	devices, err := device.NewParser(s.AppName)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	catalog, err := locale.New()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	authSvc, err := auth.NewService(store, devices, s.Auth, log)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	key, err := authSvc.CSRFKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	authSvc.ShareBindingKey(key)
	if err := authSvc.LoadPolicies(ctx); err != nil { // the administrators' over the environment's
		return nil, fmt.Errorf("build: %w", err)
	}
	if s.Live != nil {
		go authSvc.WatchPolicies(s.Live.Context())
		s.Live.OnPolicyChange(authSvc.PolicyChanged)
	}
	h := New(authSvc, catalog, log, Config{AppName: s.AppName, BaseURL: s.BaseURL, CSRFKey: key,
		Live: s.Live, Heartbeat: s.Heartbeat, DBSC: s.DBSC, MaxInFlight: 4 * store.MaxOpen()})
	h.metrics.watchRoundTrips(store.RoundTrips)
	return h, nil
}

// AuthService is the service the handlers use, for tests that set its clock.
func (h *Handler) AuthService() *auth.Service { return h.auth }
