package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/docodego/sessions/db"
)

// Support: an administrator finds a person by email, sees their sessions exactly as they
// do and their recent security activity, and ends one session or all with a reason from
// a short list (and a note). The person's page then says "Ended by an administrator" with
// the reason in their language, their activity shows it, and the device is told why.

// AdminEndReasons are the reasons an administrator may give, as codes the person's pages
// translate.
var AdminEndReasons = []string{"lost_device", "suspicious_activity", "person_asked", "account_compromised", "other"}

// reasonAdminPrefix starts sessions.revoke_reason for a session an administrator ended:
// "admin:lost_device".
const reasonAdminPrefix = "admin:"

// Limits of the support forms.
const (
	maxAdminNote   = 500
	maxSearchQuery = maxEmailLength
	searchShown    = 50
)

// ErrUserNotFound is a person id that is malformed or names no account.
var ErrUserNotFound = errors.New("user not found")

// AdminEndedError is a session an administrator ended; it is also ErrSessionRevoked, and
// carries the reason code its device is told.
type AdminEndedError struct{ Reason string }

func (e *AdminEndedError) Error() string { return "session ended by an administrator: " + e.Reason }

// Is makes it ErrSessionRevoked to every answer that asks.
func (e *AdminEndedError) Is(target error) bool { return target == ErrSessionRevoked }

// AdminEndReason is the reason code of a revoke_reason an administrator wrote, or "".
func AdminEndReason(revokeReason string) (string, bool) {
	code, ok := strings.CutPrefix(revokeReason, reasonAdminPrefix)
	if !ok {
		return "", false
	}
	if !slices.Contains(AdminEndReasons, code) {
		code = "other"
	}
	return code, true
}

// SearchUsers finds people whose email contains q (ignoring case).
func (s *Service) SearchUsers(ctx context.Context, q string) ([]db.UserMatch, error) {
	q = strings.TrimSpace(q)
	if q == "" || !oneLine(q) || utf8.RuneCountInString(q) > maxSearchQuery {
		return nil, &InputError{Field: "q", Code: "support.error.query"}
	}
	rows, err := s.store.SearchUsers(ctx, q, s.now(), searchShown)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return rows, nil
}

// SupportView is a person as the support page shows them.
type SupportView struct {
	User     db.User
	Sessions []db.Session // live, as their own page lists them
	Activity Activity     // their recent security activity and ended sessions
}

// noViewer stands for the viewing session of a support view: none of the person's own.
const noViewer = "00000000-0000-0000-0000-000000000000"

// Support reads the person with id for the support page.
func (s *Service) Support(ctx context.Context, id string) (SupportView, error) {
	id, ok := ParseSessionID(id) // a uuid, like a session id
	if !ok {
		return SupportView{}, ErrUserNotFound
	}
	u, err := s.store.UserByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return SupportView{}, ErrUserNotFound
	}
	if err != nil {
		return SupportView{}, fmt.Errorf("support view: %w", err)
	}
	as := Current{UserID: u.ID, Email: u.Email, Name: u.Name, Session: db.Session{ID: noViewer}}
	sessions, err := s.Sessions(ctx, as)
	if err != nil {
		return SupportView{}, fmt.Errorf("support view: %w", err)
	}
	activity, err := s.SecurityActivity(ctx, as, "", false)
	if err != nil {
		return SupportView{}, fmt.Errorf("support view: %w", err)
	}
	return SupportView{User: u, Sessions: sessions, Activity: activity}, nil
}

// AdminEnd is what an administrator sends to end sessions.
type AdminEnd struct {
	UserID    string
	SessionID string // "" ends them all
	Reason    string // one of AdminEndReasons
	Note      string // free text for the record; needed with "other"
}

// validate checks the request and returns it cleaned.
func (e AdminEnd) validate() (AdminEnd, error) {
	var ok bool
	if e.UserID, ok = ParseSessionID(e.UserID); !ok {
		return e, ErrUserNotFound
	}
	if e.SessionID != "" {
		if e.SessionID, ok = ParseSessionID(e.SessionID); !ok {
			return e, ErrSessionNotFound
		}
	}
	if !slices.Contains(AdminEndReasons, e.Reason) {
		return e, &InputError{Field: "reason", Code: "support.error.reason"}
	}
	e.Note = strings.TrimSpace(e.Note)
	noteOK := utf8.ValidString(e.Note) && !strings.ContainsFunc(e.Note, func(r rune) bool { return r != '\n' && r != '\r' && r < ' ' || r == 0x7f })
	switch {
	case !noteOK:
		return e, &InputError{Field: "note", Code: "support.error.note_invalid"}
	case utf8.RuneCountInString(e.Note) > maxAdminNote:
		return e, &InputError{Field: "note", Code: "support.error.note_too_long"}
	case e.Reason == "other" && e.Note == "":
		return e, &InputError{Field: "note", Code: "support.error.note_required"}
	}
	return e, nil
}

// EndSessionsAsAdmin ends one live session of the person, or all of them, with the reason;
// ErrSessionNotFound when there was none to end (nothing changed). The admin guard has
// checked the role, the proof of password and the CSRF token; its audit entry records the
// administrator, and the person's event records the reason and the note.
func (s *Service) EndSessionsAsAdmin(ctx context.Context, admin Current, e AdminEnd) ([]db.Session, error) {
	e, err := e.validate()
	if err != nil {
		return nil, err
	}
	if _, err := s.store.UserByID(ctx, e.UserID); errors.Is(err, db.ErrNotFound) {
		return nil, ErrUserNotFound
	} else if err != nil {
		return nil, fmt.Errorf("end sessions as admin: %w", err)
	}
	var ended []db.Session
	err = s.store.InTx(ctx, func(tx *db.Tx) error {
		ended, err = tx.EndSessionsByAdmin(ctx, db.AdminEnd{UserID: e.UserID, ID: e.SessionID, Reason: reasonAdminPrefix + e.Reason,
			Details: db.Details{"reason": e.Reason, "note": e.Note, "admin_user_id": admin.UserID}, Now: s.now()})
		if err != nil {
			return err
		}
		if len(ended) == 0 {
			return ErrSessionNotFound
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("end sessions as admin: %w", err)
	}
	return ended, nil
}
