// Package janitor deletes what has outlived its retention: ended sessions, old audit
// events, delivered mail and expired email verification links. Several app instances may
// run it at once: every batch skips rows another instance has locked, so they never wait
// on each other.
package janitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docodego/sessions/db"
)

// Options configure retention; zero values take DefaultOptions, but IdleTimeout must be
// the auth rule's.
type Options struct {
	SessionRetention time.Duration // ended sessions are kept this long
	AuditRetention   time.Duration // audit events are kept this long
	IdleTimeout      time.Duration // a session unused this long has ended (auth.Config.IdleTimeout)
	// IdleTimeoutNow, when set, is read at each sweep instead: the idle timeout in force,
	// which administrators change at runtime (auth policies).
	IdleTimeoutNow func() time.Duration
	Interval       time.Duration // time between sweeps
	Batch          int           // rows per DELETE, to keep locks and WAL small
	// ScanPages is how many heap pages of the sessions table one DELETE reads (~15 sessions
	// a page): the sweep walks the table in ranges of this many pages, so it reads the
	// table once and each statement a bounded part of it, however many sessions there are.
	ScanPages int
	// Duty is the share of a sweep's time its statements may take: after each one it rests
	// for the rest, so a backlog (millions of past sessions) is cleared at a pace that
	// leaves the cores and the disk to requests. 1 or more: no rest.
	Duty float64
}

// DefaultOptions keeps ended sessions 30 days and audit events a year, sweeping hourly.
func DefaultOptions() Options {
	return Options{SessionRetention: 30 * 24 * time.Hour, AuditRetention: 365 * 24 * time.Hour,
		Interval: time.Hour, Batch: 500, ScanPages: 64, Duty: 0.25}
}

func (o *Options) defaults() {
	def := DefaultOptions()
	if o.SessionRetention <= 0 {
		o.SessionRetention = def.SessionRetention
	}
	if o.AuditRetention <= 0 {
		o.AuditRetention = def.AuditRetention
	}
	if o.Interval <= 0 {
		o.Interval = def.Interval
	}
	if o.Batch <= 0 {
		o.Batch = def.Batch
	}
	if o.ScanPages <= 0 {
		o.ScanPages = def.ScanPages
	}
	if o.Duty <= 0 {
		o.Duty = def.Duty
	}
}

// Janitor sweeps on a ticker.
type Janitor struct {
	store *db.Store
	log   *slog.Logger
	opt   Options
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration)
}

// New builds a janitor.
func New(store *db.Store, log *slog.Logger, opt Options) *Janitor {
	opt.defaults()
	return &Janitor{store: store, log: log, opt: opt, now: time.Now, sleep: sleepCtx}
}

// SetClock replaces the clock, for tests.
func (j *Janitor) SetClock(now func() time.Time) { j.now = now }

// SetSleep replaces how the janitor rests between statements, for tests.
func (j *Janitor) SetSleep(sleep func(ctx context.Context, d time.Duration)) { j.sleep = sleep }

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

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
	Sessions, Events, Mail, Verifications int
}

// Sweep deletes everything past retention, batch by batch.
func (j *Janitor) Sweep(ctx context.Context) (Result, error) {
	var r Result
	now := j.now()
	var err error
	sessionCutoff := now.Add(-j.opt.SessionRetention)
	idle := j.opt.IdleTimeout
	if j.opt.IdleTimeoutNow != nil {
		idle = j.opt.IdleTimeoutNow()
	}
	if r.Sessions, err = j.sweepSessions(ctx, sessionCutoff, idle); err != nil {
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
	if r.Verifications, err = j.drain(ctx, func() (int, error) {
		return j.store.DeleteExpiredVerifications(ctx, now, j.opt.Batch)
	}); err != nil {
		return r, err
	}
	if r != (Result{}) {
		j.log.Info("janitor swept", "sessions", r.Sessions, "audit_events", r.Events, "mail", r.Mail,
			"verification_links", r.Verifications)
	}
	return r, nil
}

// sweepSessions walks the sessions table ScanPages at a time, each range until a batch
// comes back short, and then the pages the table grew by meanwhile (rows a revocation or
// touch moved there), until it reaches the end.
func (j *Janitor) sweepSessions(ctx context.Context, cutoff time.Time, idle time.Duration) (int, error) {
	total := 0
	var from int64
	for {
		pages, err := j.store.SessionHeapPages(ctx)
		if err != nil {
			return total, fmt.Errorf("janitor: %w", err)
		}
		if from >= pages {
			return total, nil
		}
		for from < pages {
			to := from + int64(j.opt.ScanPages)
			n, err := j.drain(ctx, func() (int, error) {
				return j.store.DeleteEndedSessions(ctx, cutoff, idle, db.HeapPages{From: from, To: to}, j.opt.Batch)
			})
			total += n
			if err != nil {
				return total, err
			}
			from = to
		}
	}
}

// drain repeats one batch until a batch comes back short, resting after each (Duty).
func (j *Janitor) drain(ctx context.Context, batch func() (int, error)) (int, error) {
	total := 0
	for ctx.Err() == nil {
		start := j.now()
		n, err := batch()
		if err != nil {
			return total, fmt.Errorf("janitor: %w", err)
		}
		total += n
		j.rest(ctx, j.now().Sub(start))
		if n < j.opt.Batch {
			return total, nil
		}
	}
	return total, ctx.Err()
}

// rest pauses after a statement that took took, so that statements fill Duty of the time.
func (j *Janitor) rest(ctx context.Context, took time.Duration) {
	if j.opt.Duty >= 1 || took <= 0 {
		return
	}
	j.sleep(ctx, time.Duration(float64(took)*(1-j.opt.Duty)/j.opt.Duty))
}
