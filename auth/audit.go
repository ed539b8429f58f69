package auth

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
)

// Every audit event is written inside the transaction of the action it records, so the
// two commit or roll back together; the store logs each one after its commit.

// NewSignIn is what the "new sign-in" email says, stored in the outbox payload (and, one
// per sign-in, in a digest's). It holds nothing a person typed: a name could carry a
// phishing text into our mail.
type NewSignIn struct {
	Device    string    `json:"device"`
	IP        string    `json:"ip"`
	At        time.Time `json:"at"`
	SessionID string    `json:"session_id"`
	Browser   string    `json:"browser"` // with OS: the label, composed in the mail's language
	OS        string    `json:"os"`
	Lang      string    `json:"lang"` // the language of the sign-in page; "" is English
	// Where the sign-in came from (no names: the mail names the country in its language).
	City        string `json:"city,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	NewCountry  bool   `json:"new_country,omitempty"` // the account's first sign-in from there
}

// recordSignUp writes the sign_up event, remembers the browser as known and mails a
// link to verify the address.
func (s *Service) recordSignUp(ctx context.Context, tx *db.Tx, cur Current, c Client, at geo.Point) error {
	if c.DeviceID != "" {
		if _, err := s.rememberDevice(ctx, tx, cur.UserID, c.DeviceID, cur.Session.CreatedAt); err != nil {
			return err
		}
	}
	if _, err := s.rememberCountry(ctx, tx, cur); err != nil {
		return err
	}
	if _, err := s.rememberPlace(ctx, tx, cur, at); err != nil {
		return err
	}
	if err := s.queueVerification(ctx, tx, cur.UserID, cur.Email, c.Lang); err != nil {
		return err
	}
	return tx.InsertAuditEvent(ctx, db.SessionEvent(db.EventSignUp, cur.Session, &cur.Session, cur.Session.CreatedAt))
}

// recordSignIn writes the sign_in event; a browser this account has not seen before also
// gets an in-app notice for the other sessions and an email in the outbox. A sign-in that
// ended others past the session limit (evicted) raises a notice whatever the browser. at
// is where the address is (the sign-in's geo.Place), for the distance to the usual places.
func (s *Service) recordSignIn(ctx context.Context, tx *db.Tx, cur Current, c Client, at geo.Point, evicted int) error {
	now := cur.Session.CreatedAt
	isNew := true
	if c.DeviceID != "" {
		var err error
		if isNew, err = s.rememberDevice(ctx, tx, cur.UserID, c.DeviceID, now); err != nil {
			return err
		}
	}
	newCountry, err := s.rememberCountry(ctx, tx, cur)
	if err != nil {
		return err
	}
	far, err := s.rememberPlace(ctx, tx, cur, at)
	if err != nil {
		return err
	}
	if err := s.flagSignIn(ctx, tx, cur, isNew, newCountry, far); err != nil {
		return err
	}
	e := db.SessionEvent(db.EventSignIn, cur.Session, &cur.Session, now)
	e.Details["new_device"] = isNew
	e.Details["new_country"] = newCountry
	e.Details["far_from_usual"] = far
	if err := tx.InsertAuditEvent(ctx, e); err != nil {
		return err
	}
	if !isNew && !newCountry && evicted == 0 {
		return nil
	}
	if err := tx.CreateNotice(ctx, cur.UserID, cur.Session.ID, newCountry, evicted, now); err != nil {
		return err
	}
	// The in-app notice always; the mail as the policies say (SignInMail, CountryMail), and
	// only about new browsers and places (not a known browser that ended others).
	cfg := s.conf()
	newCountry = newCountry && cfg.CountryMail
	if !newCountry && !(isNew && cfg.SignInMail) {
		return nil
	}
	return s.queueSignInMail(ctx, tx, cur, NewSignIn{
		Device: cur.Session.Label, IP: cur.Session.IP, At: now, SessionID: cur.Session.ID,
		Browser: cur.Session.Browser, OS: cur.Session.OS, Lang: c.Lang,
		City: cur.Session.City, CountryCode: cur.Session.CountryCode, NewCountry: newCountry,
	})
}

// rememberCountry records the sign-in's country for the account and reports whether it is
// the account's first sign-in from there (a sign-in with no known place is never news).
func (s *Service) rememberCountry(ctx context.Context, tx *db.Tx, cur Current) (bool, error) {
	if cur.Session.CountryCode == "" {
		return false, nil
	}
	return tx.RememberCountry(ctx, cur.UserID, cur.Session.CountryCode, cur.Session.CreatedAt)
}

// recordFailedSignIn writes sign_in_failed for an existing account, in its own small
// transaction (there is no action to join). A failure to write it is logged, not shown.
func (s *Service) recordFailedSignIn(ctx context.Context, u db.User, c Client) {
	d := s.devices.Parse(cleanUserAgent(c.UserAgent))
	place := s.locate(c.IP)
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		// No session: the event is about the device that tried, where it tried from.
		tried := db.Session{UserID: u.ID, IP: truncateUTF8(c.IP, 64), Label: d.Label, Browser: d.Browser, OS: d.OS,
			City: place.City, Region: place.Region, CountryCode: place.CountryCode}
		return tx.InsertAuditEvent(ctx, db.SessionEvent(db.EventSignInFailed, tried, nil, s.now()))
	})
	if err != nil {
		s.log.Error("audit sign_in_failed", "user_id", u.ID, "error", err)
	}
}

// recordExpired writes session_expired the first time a request finds the session
// expired; later requests with the same cookie write nothing.
func (s *Service) recordExpired(ctx context.Context, sess db.Session, now time.Time) {
	err := s.store.InTx(ctx, func(tx *db.Tx) error {
		first, err := tx.MarkSessionExpired(ctx, sess.UserID, sess.ID, now)
		if err != nil || !first {
			return err
		}
		e := db.SessionEvent(db.EventSessionExpired, sess, nil, now)
		e.Details["expired_at"] = s.conf().ExpiresAt(sess).UTC()
		return tx.InsertAuditEvent(ctx, e)
	})
	if err != nil {
		s.log.Error("audit session_expired", "session_id", sess.ID, "error", err)
	}
}

// recordRevokeOthers writes one other_sessions_revoked event with the count.
func recordRevokeOthers(ctx context.Context, tx *db.Tx, cur Current, ended []db.Session, now time.Time) error {
	if len(ended) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ended))
	for _, s := range ended {
		ids = append(ids, s.ID)
	}
	e := db.SessionEvent(db.EventOtherSessionsRevoked, cur.Session, &cur.Session, now)
	e.SessionID = db.NullID("")
	e.Details["count"] = len(ended)
	e.Details["session_ids"] = ids
	return tx.InsertAuditEvent(ctx, e)
}

// deviceHash is what the database keeps of a device id: enough to recognise it, useless
// to forge the CSRF token it also backs.
func deviceHash(id string) []byte {
	h := sha256.Sum256([]byte("device\x00" + id))
	return h[:]
}

// recordPasswordChanged writes password_changed, with how many other sessions it ended.
func recordPasswordChanged(ctx context.Context, tx *db.Tx, cur Current, ended []db.Session, now time.Time) error {
	e := db.SessionEvent(db.EventPasswordChanged, cur.Session, &cur.Session, now)
	e.Details["revoked_count"] = len(ended)
	return tx.InsertAuditEvent(ctx, e)
}
