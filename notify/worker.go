// Package notify delivers the outbox: mail queued by auth in the same transaction as the
// action that caused it, sent over SMTP by a background worker.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
)

// Options configure the worker; zero values take DefaultOptions.
type Options struct {
	SMTPURL     string        // smtp://user:pass@host:587, smtps://host:465; "" logs instead of sending
	From        string        // the From address
	BaseURL     string        // public address for links in mail
	AppName     string        // product name in mail
	Poll        time.Duration // how often to look for due mail
	BaseBackoff time.Duration // wait after the first failure, doubled each time
	MaxBackoff  time.Duration // longest wait between attempts
	SendTimeout time.Duration // cap on one SMTP conversation
}

// DefaultOptions logs mail instead of sending it, and retries from 30 s up to hourly.
func DefaultOptions() Options {
	return Options{From: "DoCodeGo <no-reply@localhost>", Poll: 5 * time.Second,
		BaseBackoff: 30 * time.Second, MaxBackoff: time.Hour, SendTimeout: 30 * time.Second}
}

func (o *Options) defaults() {
	def := DefaultOptions()
	if o.From == "" {
		o.From = def.From
	}
	if o.Poll <= 0 {
		o.Poll = def.Poll
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = def.BaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = def.MaxBackoff
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = def.SendTimeout
	}
}

// Worker delivers due outbox mail. Several workers (in one process or many) can share
// one outbox: each message is locked by the transaction that sends it.
type Worker struct {
	store   *db.Store
	log     *slog.Logger
	opt     Options
	sender  *smtpSender // nil: log what would be sent
	catalog *locale.Catalog
	now     func() time.Time
	// expand handles the outbox rows that are requests, not messages (Expand), by kind.
	expand map[string]Expander
}

// Expander handles a queued request in the transaction that claimed it (say, by queueing
// the mail it asks for); on an error nothing of it commits and the next poll retries it.
type Expander func(ctx context.Context, tx *db.Tx, m db.OutboxMail) error

// Expand makes the worker hand rows of kind to fn instead of sending them; call it before
// Run. A signed-out request for a verification mail is one (db.MailVerifyRequest): the
// request's answer does the same work whoever it names, and the worker does the rest.
func (w *Worker) Expand(kind string, fn Expander) {
	if w.expand == nil {
		w.expand = map[string]Expander{}
	}
	w.expand[kind] = fn
}

// New builds a worker; a malformed SMTP_URL is an error at start-up, not at first mail.
func New(store *db.Store, log *slog.Logger, opt Options) (*Worker, error) {
	opt.defaults()
	catalog, err := locale.New()
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	w := &Worker{store: store, log: log, opt: opt, catalog: catalog, now: time.Now}
	if opt.SMTPURL != "" {
		s, err := newSMTPSender(opt.SMTPURL, opt.SendTimeout)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		w.sender = s
	}
	return w, nil
}

// SetClock replaces the clock, for tests of mail due later (digests).
func (w *Worker) SetClock(now func() time.Time) { w.now = now }

// Run delivers mail until ctx ends; call it in its own goroutine.
func (w *Worker) Run(ctx context.Context) {
	mode := "log"
	if w.sender != nil {
		mode = "smtp " + w.sender.addr
	}
	w.log.Info("mail worker started", "delivery", mode)
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		if _, err := w.Drain(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("mail worker", "error", err)
		}
		select {
		case <-ctx.Done():
			w.log.Info("mail worker stopped")
			return
		case <-t.C:
		}
	}
}

// Drain handles every message due when it starts, one transaction each, and returns how
// many it delivered. A failed delivery is rescheduled with backoff (so not retried by
// this same Drain) and does not stop the rest.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	sent := 0
	due := w.now()
	for ctx.Err() == nil {
		// Stopping waits for the message in flight (bounded by SendTimeout) rather than
		// abandoning a send the server may already have accepted.
		done, ok, err := w.deliverOne(context.WithoutCancel(ctx), due)
		if err != nil {
			return sent, err
		}
		if !ok {
			return sent, nil
		}
		if done {
			sent++
		}
	}
	return sent, ctx.Err()
}

// deliverOne claims one message due at due and sends it. ok is false when none was due; done
// tells whether it was delivered (else it was rescheduled).
func (w *Worker) deliverOne(ctx context.Context, due time.Time) (done, ok bool, err error) {
	err = w.store.InTx(ctx, func(tx *db.Tx) error {
		m, err := tx.ClaimMail(ctx, due)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		if fn, isRequest := w.expand[m.Kind]; isRequest {
			// A request is not delivered, so not counted. Its writes and its removal (the
			// address it names, as typed, is not kept) commit together or not at all: a
			// failure rolls back and surfaces from Drain, and the next poll retries it.
			if err := fn(ctx, tx, m); err != nil {
				return fmt.Errorf("outbox %d (%s): %w", m.ID, m.Kind, err)
			}
			return tx.DeleteMail(ctx, m.ID)
		}
		msg, err := w.compose(m)
		if err == nil {
			err = w.send(ctx, msg)
		}
		if err != nil {
			delay := backoff(m.Attempts, w.opt.BaseBackoff, w.opt.MaxBackoff)
			w.log.Warn("mail not delivered, will retry", "outbox_id", m.ID, "kind", m.Kind,
				"attempt", m.Attempts+1, "retry_in", delay, "error", err)
			return tx.MarkMailFailed(ctx, m.ID, w.now().Add(delay), err.Error())
		}
		done = true
		via := "log"
		if w.sender != nil {
			via = "smtp"
			w.log.Info("mail delivered", "outbox_id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1)
		}
		// Marked in the transaction that holds the row lock: no other worker can have
		// sent it meanwhile. Should this commit fail after the server took the message,
		// the retry carries the same Message-ID, so the receiver can drop the copy.
		return tx.MarkMailSent(ctx, m.ID, via, w.now())
	})
	return done, ok, err
}

func (w *Worker) send(ctx context.Context, msg message) error {
	if w.sender == nil {
		w.log.Info("SMTP_URL is not set: mail not sent", "to", msg.To, "subject", msg.Subject,
			"message_id", msg.ID, "body", msg.Body)
		return nil
	}
	return w.sender.send(ctx, w.opt.From, msg)
}

// compose renders an outbox row into a message.
func (w *Worker) compose(m db.OutboxMail) (message, error) {
	switch m.Kind {
	case db.MailNewSignIn:
		return render(w, m, renderNewSignIn)
	case db.MailNewSignInDigest:
		return render(w, m, renderDigest)
	case db.MailVerifyEmail:
		return render(w, m, renderVerifyEmail)
	}
	return message{}, fmt.Errorf("outbox %d: unknown kind %q", m.ID, m.Kind)
}

// render decodes a row's payload and renders it with the kind's function.
func render[P any](w *Worker, m db.OutboxMail, fn func(Options, *locale.Catalog, db.OutboxMail, P) (message, error)) (message, error) {
	var p P
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return message{}, fmt.Errorf("outbox %d: %w", m.ID, err)
	}
	return fn(w.opt, w.catalog, m, p)
}

// backoff is how long to wait after the attempts-th failure: base, 2*base, 4*base, ...
// capped at max.
func backoff(attempts int, base, max time.Duration) time.Duration {
	d := float64(base) * math.Pow(2, float64(min(attempts, 30)))
	if d > float64(max) {
		return max
	}
	return time.Duration(d)
}
