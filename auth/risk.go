package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docodego/sessions/db"
)

const (
	// RiskShownFor is how long after its sign-in a session's row stays flagged.
	RiskShownFor = 14 * 24 * time.Hour
	// failedSignInWindow is how recent a wrong password must be to flag the next sign-in.
	failedSignInWindow = time.Hour
)

// flagSignIn stores why a new session deserves a look (db.Risk*), in its sign-in's
// transaction: a new device or country (worked out by recordSignIn), a client that is not
// a browser, a wrong password shortly before, a country far from the account's others.
func (s *Service) flagSignIn(ctx context.Context, tx *db.Tx, cur Current, newDevice, newCountry bool) error {
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
	r, err := tx.SignInRiskOf(ctx, cur.UserID, sess.ID, sess.CountryCode, sess.CreatedAt.Add(-failedSignInWindow), sess.CreatedAt)
	if err != nil {
		return err
	}
	if r.FailedBefore {
		risk |= db.RiskAfterFailure
	}
	if r.FarFromUsual && !newCountry { // a first visit to a country says it already
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
