// Package janitor deletes what has outlived its retention: ended sessions, old audit
// events and delivered mail. Several app instances may run it at once: every batch skips
// rows another instance has locked, so they share the work instead of waiting.
package janitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docodego/sessions/db"
)

// Options configure retention; zero values give the defaults.
type Options struct {
	SessionRetention time.Duration // ended sessions are kept this long (default 30 days)
	AuditRetention   time.Duration // audit events are kept this long (default 365 days)
	IdleTimeout      time.Duration // a session unused this long has ended (the auth rule)
	Interval         time.Duration // time between sweeps (default 1h)
	Batch            int           // rows per DELETE, to keep locks and WAL small (default 500)
}

func (o *Options) defaults() {
	if o.SessionRetention <= 0 {
		o.SessionRetention = 30 * 24 * time.Hour
	}
	if o.AuditRetention <= 0 {
		o.AuditRetention = 365 * 24 * time.Hour
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 7 * 24 * time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
}

// Janitor sweeps on a ticker.
type Janitor struct {
	store *db.Store
	log   *slog.Logger
	opt   Options
	now   func() time.Time
}

// New builds a janitor.
func New(store *db.Store, log *slog.Logger, opt Options) *Janitor {
	opt.defaults()
	return &Janitor{store: store, log: log, opt: opt, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (j *Janitor) SetClock(now func() time.Time) { j.now = now }

// Run sweeps at start and then every Interval until ctx ends.
func (j *Janitor) Run(ctx context.Context) {
	t := time.NewTicker(j.opt.Interval)
	defer t.Stop()
	for {
		if _, err := j.Sweep(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("janitor", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Result counts what a sweep deleted.
type Result struct {
	Sessions, Events, Mail int
}

// Sweep deletes everything past retention, batch by batch.
func (j *Janitor) Sweep(ctx context.Context) (Result, error) {
	var r Result
	now := j.now()
	var err error
	sessionCutoff := now.Add(-j.opt.SessionRetention)
	if r.Sessions, err = j.drain(ctx, func() (int, error) {
		return j.store.DeleteEndedSessions(ctx, sessionCutoff, j.opt.IdleTimeout, j.opt.Batch)
	}); err != nil {
		return r, err
	}
	if r.Events, err = j.drain(ctx, func() (int, error) {
		return j.store.DeleteAuditEvents(ctx, now.Add(-j.opt.AuditRetention), j.opt.Batch)
	}); err != nil {
		return r, err
	}
	// Delivered mail has done its job; keep it as long as ended sessions, for support.
	if r.Mail, err = j.drain(ctx, func() (int, error) {
		return j.store.DeleteSentMail(ctx, sessionCutoff, j.opt.Batch)
	}); err != nil {
		return r, err
	}
	if r != (Result{}) {
		j.log.Info("janitor swept", "sessions", r.Sessions, "audit_events", r.Events, "mail", r.Mail)
	}
	return r, nil
}

// drain repeats one batch until a batch comes back short.
func (j *Janitor) drain(ctx context.Context, batch func() (int, error)) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := batch()
		if err != nil {
			return total, fmt.Errorf("janitor: %w", err)
		}
		total += n
		if n < j.opt.Batch {
			return total, nil
		}
	}
	return total, ctx.Err()
}
