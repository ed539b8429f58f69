package auth

import (
	"context"
	"time"

	"github.com/docodego/sessions/db"
)

// maxKnownDevices is how many browsers an account remembers as its own; past it the least
// recently seen is forgotten first. Each known browser has sign-in attempts of its own
// beside the account's limit, so the cap bounds what a collection of them is worth.
const maxKnownDevices = 20

// rememberDevice records that the browser signed in to the account with its current
// password (its exemption is bound to that password) and keeps the account's known
// browsers within maxKnownDevices. It reports whether the browser was new.
func (s *Service) rememberDevice(ctx context.Context, tx *db.Tx, userID, deviceID string, now time.Time) (bool, error) {
	isNew, err := tx.RememberDevice(ctx, userID, deviceHash(deviceID), now)
	if err != nil {
		return false, err
	}
	if _, err := tx.ForgetOldestDevices(ctx, userID, maxKnownDevices); err != nil {
		return false, err
	}
	return isNew, nil
}
