package auth

import (
	"context"
	"time"

	"github.com/docodego/sessions/db"
)

// lifetime is the absolute lifetime of a new session: ShortLifetime without "Keep me
// signed in" (never longer than the maximum in force), else AbsoluteLifetime.
func (s *Service) lifetime(c Client) (d time.Duration) {
	cfg := s.conf()
	if !s.remembers(c) {
		return min(cfg.ShortLifetime, cfg.AbsoluteLifetime)
	}
	return cfg.rememberLifetime()
}

// remembers reports whether a sign-in keeps the person signed in: they asked for it and
// the policy offers it.
func (s *Service) remembers(c Client) bool { return !c.ForgetOnClose && s.conf().RememberOffered }

// clientDeviceHash is what the session keeps of the browser's device id, so "Not you?"
// can forget that browser; nil without one.
func clientDeviceHash(c Client) []byte {
	if c.DeviceID == "" {
		return nil
	}
	return deviceHash(c.DeviceID)
}

// applySessionLimit ends the least recently active other live sessions of the user while
// there are more than SessionLimit, in the sign-in's transaction (which holds the users
// row, so two sign-ins of one person apply it one after the other). Each is revoked with
// reason session_limit and recorded as session_evicted; the new session is never one. It
// returns how many of another browser's sessions it ended (the notice tells those). Sign-ins that end another browser's session are limited per
// account and address (SignInLimit per SignInWindow; *TooManyAttemptsError past it, and
// the transaction rolls back): an intruder signing in a hundred times cannot push every
// one of the owner's sessions out in one go. Not per account alone: the intruder's burst
// would then lock the owner out of signing in from anywhere for the window. A browser (or
// a script without a device cookie) ending only its own older sessions is not limited.
func (s *Service) applySessionLimit(ctx context.Context, tx *db.Tx, cur Current, c Client) (int, error) {
	if s.conf().SessionLimit <= 0 {
		return 0, nil
	}
	now := cur.Session.CreatedAt
	evicted, err := tx.EvictLeastRecentlyActive(ctx, db.Eviction{
		UserID: cur.UserID, KeepID: cur.Session.ID, Limit: s.conf().SessionLimit, Reason: ReasonSessionLimit, Now: now,
		IdleSince: now.Add(-s.conf().IdleTimeout), LifetimeSince: now.Add(-s.conf().AbsoluteLifetime),
	})
	if err != nil {
		return 0, err
	}
	others := 0
	for _, e := range evicted {
		if e.OtherBrowser {
			others++
		}
	}
	if others > 0 {
		if _, err := s.hit(ctx, db.LimitEviction, cur.UserID+" "+addressKey(c.IP), s.conf().SignInLimit, s.conf().SignInWindow); err != nil {
			return 0, err
		}
	}
	for _, e := range evicted {
		if err := tx.InsertAuditEvent(ctx, db.SessionEvent(db.EventSessionEvicted, e.Session, &cur.Session, now)); err != nil {
			return 0, err
		}
	}
	return others, nil
}
