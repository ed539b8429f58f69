package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/janitor"
	"github.com/docodego/sessions/notify"
)

// startBackground runs the outbox mail worker and the retention janitor until stop is
// called; stop waits for both (a mail in flight is finished, not abandoned).
func startBackground(ctx context.Context, store *db.Store, authSvc *auth.Service, cfg config, log *slog.Logger) (stop func(), err error) {
	worker, err := notify.New(store, log.With("component", "mail"), cfg.Mail)
	if err != nil {
		return nil, err
	}
	worker.Expand(db.MailVerifyRequest, authSvc.ExpandVerificationRequest)
	jan := janitor.New(store, log.With("component", "janitor"), cfg.Janitor)
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { worker.Run(bgCtx) })
	wg.Go(func() { jan.Run(bgCtx) })
	return func() { cancel(); wg.Wait() }, nil
}
