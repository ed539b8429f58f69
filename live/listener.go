package live

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lib/pq"
)

// pingEvery is how often the listener checks its connection, so a half-open one (the
// server's host vanished) is noticed and replaced, with a resync, within this much.
const pingEvery = 15 * time.Second

// OpenListener opens lib/pq's LISTEN connection; db.Config.NewListener is one, so the
// listener connects from the same parsed configuration as the pool.
type OpenListener func(minReconnect, maxReconnect time.Duration, events pq.EventCallbackType) *pq.Listener

// Listen holds one dedicated LISTEN connection (lib/pq's Listener, not from the pool) made
// by open and feeds the hub until ctx ends or the hub closes. It returns once the first LISTEN
// is in place, or with an error if that takes longer than wait. After a reconnect (a
// database restart or failover) every stream gets a Resync: notifications sent meanwhile
// are lost.
func (h *Hub) Listen(ctx context.Context, open OpenListener, wait time.Duration, log *slog.Logger) error {
	l := open(100*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			log.Warn("live listener lost its connection", "event", ev.String(), "error", err)
		case pq.ListenerEventReconnected:
			log.Info("live listener reconnected: resyncing every stream")
		}
	})
	ready := make(chan error, 1)
	go func() { ready <- l.Listen(Channel) }()
	select {
	case err := <-ready:
		if err != nil {
			l.Close()
			return fmt.Errorf("live: listen: %w", err)
		}
	case <-time.After(wait):
		l.Close()
		return fmt.Errorf("live: listen: no connection within %s", wait)
	}
	go h.feed(ctx, l)
	return nil
}

// feed turns notifications into events until ctx ends or the hub closes.
func (h *Hub) feed(ctx context.Context, l *pq.Listener) {
	defer l.Close()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Done():
			return
		case <-ping.C:
			go func() { _ = l.Ping() }() // a dead connection makes the listener reconnect
		case n := <-l.Notify:
			if n == nil {
				h.ResyncAll()     // lib/pq sends nil after a reconnect
				h.policyChanged() // and a policy change may be among the lost ones
				continue
			}
			if n.Extra == PolicyPayload {
				h.policyChanged()
				continue
			}
			if op, user, session, ok := parsePayload(n.Extra); ok {
				h.Publish(op, user, session)
			}
		}
	}
}

// parsePayload reads "<op>:<user id>:<session id>" (migration 00009).
func parsePayload(p string) (op, user, session string, ok bool) {
	parts := strings.SplitN(p, ":", 3)
	if len(parts) != 3 || parts[1] == "" {
		return "", "", "", false
	}
	switch parts[0] {
	case "new", "end", "chg":
		return parts[0], parts[1], parts[2], true
	}
	return "", "", "", false
}
