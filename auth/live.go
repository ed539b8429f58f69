package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

// ErrSignedOut is StillLive's answer for a session that signed itself out (in another tab
// of the same browser, say): not "ended from another device".
var ErrSignedOut = errors.New("signed out")

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
	switch s.conf().Status(row, now) {
	case StatusRevoked:
		if row.RevokeReason == "sign_out" {
			return time.Time{}, ErrSignedOut
		}
		return time.Time{}, revokedError(row.RevokeReason)
	case StatusExpired:
		s.recordExpired(ctx, row, now)
		return time.Time{}, ErrSessionExpired
	}
	return s.conf().ExpiresAt(row), nil
}

// ChangedSince reports whether the user's security state moved past rev, the revision a
// page was rendered from (Current.SecurityRev of its request): a stream that opens after a
// change the page missed must resync at once. A rev of 0 (unknown) is never "changed".
func (s *Service) ChangedSince(ctx context.Context, userID string, rev int64) (bool, error) {
	if rev <= 0 {
		return false, nil
	}
	now, err := s.store.SecurityRevision(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("changed since %d: %w", rev, err)
	}
	return now > rev, nil
}
