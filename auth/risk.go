package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
)

const (
	// RiskShownFor is how long after its sign-in a session's row stays flagged.
	RiskShownFor = 14 * 24 * time.Hour
	// failedSignInWindow is how recent a wrong password must be to flag the next sign-in.
	failedSignInWindow = time.Hour
	// FarFromUsualKm is how far a sign-in must be from every place the account signed in
	// from before to be "far from your usual places". Beyond a commute or a region's
	// errors in IP places (a carrier's addresses often sit at its hub a few hundred km
	// away), yet another country in most of Europe and coast to coast in the US.
	FarFromUsualKm = 1000
)

// flagSignIn stores why a new session deserves a look (db.Risk*), in its sign-in's
// transaction: a new device, country or distant place (worked out by recordSignIn), a
// client that is not a browser, a wrong password shortly before.
func (s *Service) flagSignIn(ctx context.Context, tx *db.Tx, cur Current, newDevice, newCountry, far bool) error {
	sess := cur.Session
	var risk int16
	if newDevice {
		risk |= db.RiskNewDevice
	}
	if newCountry {
		risk |= db.RiskNewCountry
	}
	if sess.DeviceType == "bot" || sess.DeviceType == "unknown" || sess.DeviceType == "" {
		risk |= db.RiskNotBrowser
	}
	failed, err := tx.FailedSignInSince(ctx, cur.UserID, sess.CreatedAt.Add(-failedSignInWindow))
	if err != nil {
		return err
	}
	if failed {
		risk |= db.RiskAfterFailure
	}
	if far && !newCountry { // a first visit to a country says it already: one badge is enough
		risk |= db.RiskFarFromUsual
	}
	if risk == 0 {
		return nil
	}
	return tx.SetSessionRisk(ctx, sess.ID, risk)
}

// RiskShown is the flags a session's row shows at now: none once RiskShownFor has passed.
func RiskShown(sess db.Session, now time.Time) int16 {
	if now.Sub(sess.CreatedAt) >= RiskShownFor {
		return 0
	}
	return sess.Risk
}

// ConfirmSession is "This was me": the person says the session id is theirs, and its
// row is no longer flagged. It returns the session (its browser and OS).
func (s *Service) ConfirmSession(ctx context.Context, cur Current, id string) (db.Session, error) {
	id, ok := ParseSessionID(id)
	if !ok {
		return db.Session{}, ErrSessionNotFound
	}
	var confirmed db.Session
	err := s.inActingTx(ctx, cur, func(tx *db.Tx) error {
		var err error
		confirmed, err = tx.ClearSessionRisk(ctx, cur.UserID, id, s.now())
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		return db.Session{}, ErrSessionNotFound
	}
	if err != nil {
		return db.Session{}, fmt.Errorf("confirm session: %w", err)
	}
	return confirmed, nil
}

// rememberPlace records the sign-in's point for the account and reports whether it is
// farther than FarFromUsualKm from every earlier one. A sign-in without a point, or the
// account's first point, is never far. The caller holds the account's row, so concurrent
// sign-ins are ordered and the second sees the first's place.
func (s *Service) rememberPlace(ctx context.Context, tx *db.Tx, cur Current, p geo.Point) (bool, error) {
	if !p.Known {
		return false, nil
	}
	earlier, err := tx.KnownPlaces(ctx, cur.UserID)
	if err != nil {
		return false, err
	}
	far := len(earlier) > 0
	for _, q := range earlier {
		if p.KmTo(q) <= FarFromUsualKm {
			far = false
			break
		}
	}
	return far, tx.RememberPlace(ctx, cur.UserID, p, cur.Session.CreatedAt)
}
