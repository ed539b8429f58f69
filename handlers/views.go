package handlers

import (
	"slices"
	"strings"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

func newRowText(l *locale.Localizer, boundTTL time.Duration) *rows.SessionText {
	return &rows.SessionText{
		BoundDetails: l.T("sessions.device_bound_details", "Minutes", int(boundTTL.Minutes())),
		Current:      l.T("sessions.current"), SignedIn: l.T("sessions.signed_in_at"), Revoke: l.T("sessions.revoke"),
		Secure: l.T("notice.secure"), ThisWasMe: l.T("sessions.this_was_me"), DeviceBound: l.T("sessions.device_bound"),
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
	Confirmable bool // a row is flagged: the table has the form its "This was me" submits
}

// securityPage is /app/settings/security.
type securityPage struct {
	Layout
	Table    sessionsTable
	Password passwordForm
	Activity securityActivity // notices, recent security activity, ended sessions (activity.go)
	Verify   verifyCard       // "Verify your email" until it is (verification.go)
	Notice   string
}

// sessionsUpdate is the htmx answer to a revoke (and, without Done, to a live change):
// the fresh sessions section and activity, and a message for the live region.
type sessionsUpdate struct {
	Table    sessionsTable
	Activity securityActivity
	Announce string
	Done     string // after a revoke: "Signed out Safari on iPhone", shown above the table
}

// sessionConfirmed is the htmx answer to "This was me": the row unflagged, and the row
// that holds "Not you?" now (none when no row is flagged any more).
type sessionConfirmed struct {
	Row, Secure []rows.Session // one row each, or none: what the row writer takes
	Announce    string
}

// confirmPage asks, without JavaScript, whether to revoke one session or all others.
type confirmPage struct {
	Layout
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
		Body: l.T("revoke.body_now"), Confirm: l.T("revoke.confirm"), Action: sessionsPath + row.ID + "/revoke",
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
	Layout
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
	Layout
	Message string
	Status  int
}

// placeText is where ip is, in the reader's words: "Berlin, Germany", "Germany",
// "Local network" or "Unknown location". A place stops at the city: DB-IP's district
// ("Berlin (Charlottenburg-Wilmersdorf)") claims more than an address tells.
func placeText(l *locale.Localizer, ip string, p geo.Place) string {
	switch {
	case p.Known():
		city, _, _ := strings.Cut(p.City, " (")
		return l.Place(city, p.CountryCode)
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
	return buildSessionsTable(l, csrf, cur.Session.ID, sessions, h.auth.Now(), cfg.Places.Loaded(), cfg.BoundCookieTTL)
}

// withRevokeFacts adds to row what the revoke question and the support view show of it
// beyond the row: its address, user agent, last activity, end, and where it signed in.
// sessions are the ones the table was built from.
func (h *Handler) withRevokeFacts(l *locale.Localizer, row *rows.Session, sessions []db.Session) {
	i := slices.IndexFunc(sessions, func(s db.Session) bool { return s.ID == row.ID })
	if i < 0 {
		return
	}
	cfg := h.auth.Config()
	addRevokeFacts(l, row, sessions[i], cfg.ExpiresAt(sessions[i]), h.auth.Now(), cfg.Places.Loaded())
}

// addRevokeFacts is withRevokeFacts' work for the session s of row, with the rules it
// needs passed in.
func addRevokeFacts(l *locale.Localizer, row *rows.Session, s db.Session, expires, now time.Time, withPlaces bool) {
	row.IP, row.UserAgent, row.LastSeen = s.LatestIP(), s.UserAgent, l.Ago(s.LastSeenAt, now)
	row.Expires = rows.Time{ISO: isoTime(expires), Text: l.In(expires, now)}
	row.UntilClose = untilClose(l, s)
	if withPlaces {
		row.SignedInFrom = l.T("sessions.signed_in_from", "Place", placeText(l, s.IP, s.SignInPlace()), "IP", orUnknown(l, s.IP))
	}
}

// riskWords are the badges of db.Risk*, in the order a row shows them.
var riskWords = []struct {
	bit int16
	id  string
}{
	{db.RiskNotBrowser, "risk.not_browser"}, {db.RiskNewCountry, "risk.new_country"},
	{db.RiskFarFromUsual, "risk.far"}, {db.RiskAfterFailure, "risk.after_failure"},
	{db.RiskNewDevice, "risk.new_device"},
}

// buildSessionsTable is newSessionsTable's work, with the rules it needs passed in;
// withPlaces says whether location data is loaded (without it no place is shown). The
// current session comes first, then the flagged ones (newest first), then the rest. The
// rows carry what a row shows; the revoke question's facts are added to the one row it
// asks about (withRevokeFacts): worked out for all 50, they were a third of the table's cost.
func buildSessionsTable(l *locale.Localizer, csrf, currentID string, sessions []db.Session,
	now time.Time, withPlaces bool, boundTTL time.Duration) sessionsTable {
	t := sessionsTable{L: l, CSRF: csrf, Rows: make([]rows.Session, 0, len(sessions)), Attribution: withPlaces}
	text := newRowText(l, boundTTL)
	shortDateTime := l.T("format.short_datetime")
	badges := map[int16][]string{} // a few distinct sets per table
	weight := make([]int, 0, len(sessions))
	for _, s := range sessions {
		lbl := label(l, s)
		var place string
		if withPlaces {
			place = placeText(l, s.LatestIP(), s.LatestPlace())
		}
		r := rows.Session{
			ID: s.ID, Label: lbl, Current: s.ID == currentID,
			Icon: deviceIcon(s.DeviceType), Place: place, DeviceBound: s.DeviceBound,
			Text: text, RevokeLabel: revokeLabel(l, lbl, place),
			CreatedAt: s.CreatedAt, SignedIn: rows.Time{ISO: isoTime(s.CreatedAt), Text: s.CreatedAt.UTC().Format(shortDateTime)},
		}
		switch {
		case r.Current:
			r.Active = l.T("sessions.active_now_short")
		case s.LastSeenAt.Sub(s.CreatedAt) >= time.Minute: // else it is when it signed in: said once
			r.Active = l.T("sessions.active_ago", "Ago", l.Ago(s.LastSeenAt, now))
		}
		risk := auth.RiskShown(s, now)
		if risk != 0 && !r.Current {
			if _, ok := badges[risk]; !ok {
				for _, w := range riskWords {
					if risk&w.bit != 0 {
						badges[risk] = append(badges[risk], l.T(w.id))
					}
				}
			}
			r.Flags, r.Flagged = badges[risk], true
			t.Confirmable = true
		}
		t.Rows = append(t.Rows, r)
		weight = append(weight, rowWeight(r, risk))
		if s.ID != currentID {
			t.Others++
		}
	}
	// Stable: rows of the same weight stay newest first.
	order := make([]int, len(t.Rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return weight[b] - weight[a] })
	sorted := make([]rows.Session, len(t.Rows))
	for i, j := range order {
		sorted[i] = t.Rows[j]
	}
	t.Rows = sorted
	// One "Not you? Secure your account" on the page, on the most worrying row: it secures
	// the whole account, so a second would only repeat it.
	for i := range t.Rows {
		if t.Rows[i].Flagged {
			t.Rows[i].Secure = true
			break
		}
	}
	return t
}

// rowWeight orders the table: the current session, then flagged rows, the more worrying
// first (a script or a new country before a merely new device), then the rest.
func rowWeight(r rows.Session, risk int16) int {
	if r.Current {
		return 1 << 10
	}
	if !r.Flagged {
		return 0
	}
	w := 1
	for bit, points := range map[int16]int{db.RiskNotBrowser: 16, db.RiskNewCountry: 8, db.RiskAfterFailure: 8, db.RiskFarFromUsual: 4, db.RiskNewDevice: 1} {
		if risk&bit != 0 {
			w += points
		}
	}
	return w
}

// revokeLabel is Revoke's accessible name: the device and, when known, its place, so two
// "Chrome on macOS" read apart.
func revokeLabel(l *locale.Localizer, device, place string) string {
	if place == "" {
		return l.T("sessions.revoke_label", "Device", device)
	}
	return l.T("sessions.revoke_label_place", "Device", device, "Place", place)
}

// untilClose is what a row says of its end when "Keep me signed in" was left unchecked: its
// cookie ends with the browser (its absolute end, SESSION_SHORT_LIFETIME, still applies).
func untilClose(l *locale.Localizer, s db.Session) string {
	if s.Persistent {
		return ""
	}
	return l.T("sessions.until_browser_closes")
}
