package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// StillLive re-reads an open stream's session without touching it (an open tab must not
// keep an idle session alive): nil while it is live, else ErrSessionRevoked or
// ErrSessionExpired. An expiry found here is recorded like one found by a request, so the
// owner's other pages hear of it. It also returns when the session will expire if nothing
// else happens, for the stream's timer.
func (s *Service) StillLive(ctx context.Context, cur Current) (time.Time, error) {
	row, err := s.store.UserSession(ctx, cur.UserID, cur.Session.ID)
	if errors.Is(err, db.ErrNotFound) {
		return time.Time{}, ErrSessionRevoked
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("still live: %w", err)
	}
	now := s.now()
	switch s.cfg.Status(row, now) {
	case StatusRevoked:
		return time.Time{}, ErrSessionRevoked
	case StatusExpired:
		s.recordExpired(ctx, row, now)
		return time.Time{}, ErrSessionExpired
	}
	return s.cfg.ExpiresAt(row), nil
}
