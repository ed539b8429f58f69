package handlers

import (
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

func newRowText(l *locale.Localizer, boundTTL time.Duration) *rows.SessionText {
	return &rows.SessionText{
		Current: l.T("sessions.current"), Details: l.T("sessions.details"), ColIP: l.T("sessions.col.ip"),
		ColSignedIn: l.T("sessions.col.signed_in"), ColLastActive: l.T("sessions.col.last_active"),
		ColActions: l.T("sessions.col.actions"), UnknownIP: l.T("sessions.unknown_ip"),
		ActiveNow: l.T("sessions.active_now"), Expires: l.T("sessions.expires"),
		ThisDevice: l.T("sessions.this_device"), Revoke: l.T("sessions.revoke"),
		DeviceBound:  l.T("sessions.device_bound"),
		BoundDetails: l.T("sessions.device_bound_details", "Minutes", int(boundTTL.Minutes())),
	}
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sessionsTable is the table with its count and the "revoke all others" control.
type sessionsTable struct {
	L      *locale.Localizer
	CSRF   string
	Rows   []rows.Session
	Others int
	// Attribution: the DB-IP link its licence asks of a page showing its places.
	Attribution bool
}

// securityPage is /app/settings/security.
type securityPage struct {
	layoutData
	Table    sessionsTable
	Password passwordForm
	Activity securityActivity // notices, recent security activity, ended sessions (activity.go)
	Verify   verifyCard       // "Verify your email" until it is (verification.go)
	Notice   string
}

// sessionsUpdate is the htmx answer to a revoke: the fresh sessions section, and a
// message for the live region.
type sessionsUpdate struct {
	Table    sessionsTable
	Activity securityActivity
	Announce string
}

// confirmPage asks, without JavaScript, whether to revoke one session or all others.
type confirmPage struct {
	layoutData
	Question confirmQuestion
}

// confirmQuestion is partials/confirm_revoke: the question the no-JavaScript page asks
// (Page) and the one htmx swaps into the security page's confirm dialog.
type confirmQuestion struct {
	L                    *locale.Localizer
	CSRF                 string
	Page                 bool
	Title, Body, Confirm string
	Action               string        // where the plain form posts
	Row                  *rows.Session // nil when confirming "revoke all others"
	SignedIn             rows.Time     // when Row's session signed in, in full
	// NeedPassword: the session is outside the re-authentication window, so the form
	// also asks for the password; PasswordError says what was wrong with the last one.
	NeedPassword  bool
	PasswordError string
	Secure        bool // "Not you? Secure your account": Confirm posts to Action
}

// revokeQuestion asks whether to end the session of row.
func revokeQuestion(l *locale.Localizer, csrf string, row *rows.Session) confirmQuestion {
	return confirmQuestion{L: l, CSRF: csrf, Row: row, Title: l.T("revoke.title", "Device", row.Label),
		Body: l.T("revoke.body"), Confirm: l.T("revoke.confirm"), Action: sessionsPath + row.ID + "/revoke",
		SignedIn: rows.Time{ISO: isoTime(row.CreatedAt), Text: l.DateTime(row.CreatedAt)}}
}

// revokeOthersQuestion asks whether to end the others other sessions.
func revokeOthersQuestion(l *locale.Localizer, csrf string, others int) confirmQuestion {
	return confirmQuestion{L: l, CSRF: csrf, Title: l.T("revoke_others.title"),
		Body: l.N("revoke_others.body", others), Confirm: l.T("revoke_others.confirm"),
		Action: sessionsPath + "revoke-others"}
}

// authPage is the sign-in or sign-up form.
type authPage struct {
	layoutData
	Name, Email string
	Error       string
	Notice      string
	Field       string // the field the error is about, for aria-invalid
	Forget      bool   // "Keep me signed in" was left unchecked (the form shown again)
	ReturnTo    string // where to return after signing in (safeNext)
	// RememberOffered shows "Keep me signed in" (the policy of that name).
	RememberOffered bool
}

// errorPage shows a failure in plain words.
type errorPage struct {
	layoutData
	Message string
	Status  int
}

// placeText is where ip is, in the reader's words: "Berlin, Germany", "Germany",
// "Local network" or "Unknown location".
func placeText(l *locale.Localizer, ip string, p geo.Place) string {
	switch {
	case p.Known():
		return l.Place(p.City, p.CountryCode)
	case geo.IsLocalIP(ip):
		return l.T("geo.local")
	}
	return l.T("geo.unknown")
}

// orUnknown is ip, or the word for an unknown address.
func orUnknown(l *locale.Localizer, ip string) string {
	if ip == "" {
		return l.T("sessions.unknown_ip")
	}
	return ip
}

// deviceIcon is the icon of a device kind (device.Device.Type): the row's class, which
// app.css draws with static/device-<icon>.svg.
func deviceIcon(deviceType string) string {
	switch deviceType {
	case "desktop", "mobile", "tablet", "app":
		return deviceType
	}
	return "unknown" // bots and what the parser could not tell
}

// label is a session's device label in the reader's language.
func label(l *locale.Localizer, s db.Session) string {
	if s.Name != "" { // the person's own name first, the device beside it
		return l.T("name_device.label", "Name", s.Name, "Device", l.Device(s.Browser, s.OS))
	}
	return l.Device(s.Browser, s.OS)
}

// newSessionsTable turns sessions into table rows for this reader.
func (h *Handler) newSessionsTable(l *locale.Localizer, csrf string, cur *auth.Current, sessions []db.Session) sessionsTable {
	cfg := h.auth.Config()
	return buildSessionsTable(l, csrf, cur.Session.ID, sessions, cfg.ExpiresAt, h.auth.Now(),
		cfg.Places.Loaded(), cfg.BoundCookieTTL)
}

// buildSessionsTable is newSessionsTable's work, with the rules it needs passed in;
// withPlaces says whether location data is loaded (without it no place is shown).
func buildSessionsTable(l *locale.Localizer, csrf, currentID string, sessions []db.Session,
	expiresAt func(db.Session) time.Time, now time.Time, withPlaces bool, boundTTL time.Duration) sessionsTable {
	t := sessionsTable{L: l, CSRF: csrf, Rows: make([]rows.Session, 0, len(sessions)), Attribution: withPlaces}
	text := newRowText(l, boundTTL)
	for _, s := range sessions {
		lbl, expires := label(l, s), expiresAt(s)
		var place, from string
		if withPlaces {
			place = placeText(l, s.LatestIP(), s.LatestPlace())
			from = l.T("sessions.signed_in_from", "Place", placeText(l, s.IP, s.SignInPlace()), "IP", orUnknown(l, s.IP))
		}
		t.Rows = append(t.Rows, rows.Session{
			ID: s.ID, Label: lbl, IP: s.LatestIP(), UserAgent: s.UserAgent, Current: s.ID == currentID,
			Icon: deviceIcon(s.DeviceType), Place: place, SignedInFrom: from, DeviceBound: s.DeviceBound,
			Text: text, RevokeLabel: l.T("sessions.revoke_label", "Device", lbl),
			CreatedAt: s.CreatedAt, Created: l.Ago(s.CreatedAt, now), LastSeen: l.Ago(s.LastSeenAt, now),
			Expires:    rows.Time{ISO: isoTime(expires), Text: l.In(expires, now)},
			UntilClose: untilClose(l, s),
		})
		if s.ID != currentID {
			t.Others++
		}
	}
	return t
}

// untilClose is what a row says of its end when "Keep me signed in" was left unchecked: its
// cookie ends with the browser (its absolute end, SESSION_SHORT_LIFETIME, still applies).
func untilClose(l *locale.Localizer, s db.Session) string {
	if s.Persistent {
		return ""
	}
	return l.T("sessions.until_browser_closes")
}
