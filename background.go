package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/janitor"
	"github.com/docodego/sessions/notify"
)

// startBackground runs the outbox mail worker and the retention janitor until stop is
// called; stop waits for both (a mail in flight is finished, not abandoned).
func startBackground(ctx context.Context, store *db.Store, cfg config, getenv func(string) string, log *slog.Logger) (stop func(), err error) {
	sessionRetention, err := duration(getenv, "SESSION_RETENTION", 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	auditRetention, err := duration(getenv, "AUDIT_RETENTION", 365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	interval, err := duration(getenv, "JANITOR_INTERVAL", time.Hour)
	if err != nil {
		return nil, err
	}
	worker, err := notify.New(store, log.With("component", "mail"), notify.Options{
		SMTPURL: getenv("SMTP_URL"), From: getenv("MAIL_FROM"), BaseURL: cfg.BaseURL, AppName: cfg.AppName,
	})
	if err != nil {
		return nil, err
	}
	jan := janitor.New(store, log.With("component", "janitor"), janitor.Options{
		SessionRetention: sessionRetention, AuditRetention: auditRetention,
		IdleTimeout: cfg.Auth.IdleTimeout, Interval: interval,
	})
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { worker.Run(bgCtx) })
	wg.Go(func() { jan.Run(bgCtx) })
	return func() { cancel(); wg.Wait() }, nil
}
