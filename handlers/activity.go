package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

// The security page's audit sections: "new sign-in" notices, recent security activity
// (keyset pages, "Show more" in place) and recently ended sessions.

var (
	errBadCursor = &httpError{fiber.StatusBadRequest, "invalid_cursor", "error.bad_request"}
	errBadLimit  = &httpError{fiber.StatusBadRequest, "invalid_limit", "error.bad_request"}
)

// activityPage is a page of rows and the cursor of the next, older one.
type activityPage struct {
	L    *locale.Localizer
	Rows []rows.Activity
	Next string
}

// noticeRow is a "new sign-in" notice; the page sums them up in one card.
type noticeRow struct {
	ID        int64
	SessionID string
	Text      string
	At        time.Time
}

// securityActivity is what the security page shows below and above the sessions table.
type securityActivity struct {
	L       *locale.Localizer
	CSRF    string
	Notices []noticeRow
	Events  activityPage
	Ended   []rows.Ended
	// EndedTotal is how many sessions ended in the window (at most what "Show all" shows);
	// EndedAll says "Show all" was asked for: the list is open and a live update keeps it.
	EndedTotal int
	EndedAll   bool
}

// EndedMore says the list holds fewer ended sessions than there are: "Show all" follows it.
func (a securityActivity) EndedMore() bool { return len(a.Ended) < a.EndedTotal }

// endedAllQuery is the query that asks for every ended session (up to what auth allows):
// "?ended=all" on the page (no JavaScript) and on a live update of a page showing them all.
// Any other value is ignored.
func endedAllQuery(c *fiber.Ctx) bool { return c.Query("ended") == "all" }

// loadSecurityActivity reads the audit sections alone ("Show all" ended sessions).
func (h *Handler) loadSecurityActivity(c *fiber.Ctx, l *locale.Localizer, csrf string, cur *auth.Current, allEnded bool) (securityActivity, error) {
	act, err := h.auth.SecurityActivity(c.UserContext(), *cur, beforeQuery(c), allEnded)
	if err != nil {
		return securityActivity{L: l, CSRF: csrf, EndedAll: allEnded}, err
	}
	return h.securityActivityOf(l, csrf, act, allEnded), nil
}

// loadSecurityOverview reads the live sessions and the audit sections of the security page
// together (one statement). A "before" query (the no-JavaScript "Show more" link) starts
// the events at that cursor; "ended=all" lists every recently ended session, not just the
// latest auth.EndedShown.
func (h *Handler) loadSecurityOverview(c *fiber.Ctx, l *locale.Localizer, csrf string, cur *auth.Current) ([]db.Session, securityActivity, error) {
	allEnded := endedAllQuery(c)
	live, act, err := h.auth.SecurityOverview(c.UserContext(), *cur, beforeQuery(c), allEnded)
	if err != nil {
		return nil, securityActivity{}, err
	}
	return live, h.securityActivityOf(l, csrf, act, allEnded), nil
}

// beforeQuery is the "before" cursor of the no-JavaScript "Show more" link; one that is
// not ours is ignored (the newest page).
func beforeQuery(c *fiber.Ctx) string {
	before := c.Query("before")
	if _, err := auth.ParseCursor(before); err != nil {
		return ""
	}
	return before
}

// securityActivityOf puts the audit sections into words.
func (h *Handler) securityActivityOf(l *locale.Localizer, csrf string, act auth.Activity, allEnded bool) securityActivity {
	now := h.auth.Now()
	a := securityActivity{L: l, CSRF: csrf, EndedAll: allEnded}
	for _, n := range act.Notices {
		a.Notices = append(a.Notices, noticeRow{ID: n.ID, SessionID: n.SessionID, At: n.CreatedAt,
			Text: h.noticeText(l, n, now)})
	}
	a.Events = h.newActivityPage(l, act.Events, false)
	for _, s := range act.Ended {
		a.Ended = append(a.Ended, rows.Ended{ID: s.ID, Label: label(l, s.Session), How: endedHow(l, s),
			Ended: rows.Time{ISO: isoTime(s.EndedAt), Text: l.DateTime(s.EndedAt)}, Ago: l.Ago(s.EndedAt, now)})
	}
	a.EndedTotal = act.EndedTotal
	return a
}

func (h *Handler) newActivityPage(l *locale.Localizer, page auth.EventPage, focus bool) activityPage {
	now := h.auth.Now()
	p := activityPage{L: l, Next: page.Next, Rows: make([]rows.Activity, 0, len(page.Events))}
	for i, e := range page.Events {
		var place string
		if h.auth.Config().Places.Loaded() {
			place = placeText(l, e.IP, eventPlace(e.Details))
		}
		p.Rows = append(p.Rows, rows.Activity{ID: e.ID, Type: e.Type, Text: eventText(l, e),
			IP: e.IP, Place: place, When: l.Ago(e.CreatedAt, now), Focus: focus && i == 0})
	}
	return p
}

// noticeText is a "new sign-in" notice in words, with the place when there is location
// data, and "the first from <country>" when it was the account's first sign-in from there.
func (h *Handler) noticeText(l *locale.Localizer, n db.Notice, now time.Time) string {
	at := n.CreatedAt.UTC().Format("15:04 UTC")
	if now.Sub(n.CreatedAt) > 20*time.Hour {
		at = l.DateTime(n.CreatedAt)
	}
	text := h.signInNoticeText(l, n, at)
	if n.Evicted > 0 {
		text += " " + l.N("notice.evicted", n.Evicted)
	}
	return text
}

// signInNoticeText is the notice's first sentence: the sign-in, and where from.
func (h *Handler) signInNoticeText(l *locale.Localizer, n db.Notice, at string) string {
	device := l.Device(n.Browser, n.OS)
	place := geo.Place{City: n.City, CountryCode: n.CountryCode}
	switch {
	case n.NewCountry && place.Known():
		return l.T("notice.new_country", "Place", placeText(l, n.IP, place), "Country", l.Country(n.CountryCode),
			"Device", device, "Time", at)
	case h.auth.Config().Places.Loaded():
		return l.T("notice.new_sign_in_from", "Place", placeText(l, n.IP, place), "Device", device, "Time", at)
	}
	return l.T("notice.new_sign_in", "Device", device, "Time", at)
}

// eventPlace is where an event came from, as its details recorded it (auth.setPlace).
func eventPlace(d db.Details) geo.Place {
	return geo.Place{City: d.String("city"), Region: d.String("region"), CountryCode: d.String("country_code")}
}

// eventText says what happened, in the reader's words.
func eventText(l *locale.Localizer, e db.AuditEvent) string {
	device := eventDevice(l, e.Details, "browser", "os", e.DeviceLabel)
	actor := eventDevice(l, e.Details, "actor_browser", "actor_os", e.DeviceLabel)
	switch e.Type {
	case db.EventSignUp:
		return l.T("activity.sign_up", "Device", device)
	case db.EventSignIn:
		if isNew, _ := e.Details["new_device"].(bool); isNew {
			return l.T("activity.sign_in_new", "Device", device)
		}
		return l.T("activity.sign_in", "Device", device)
	case db.EventSignInFailed:
		return l.T("activity.sign_in_failed", "Device", device)
	case db.EventSignOut:
		return l.T("activity.sign_out", "Device", device)
	case db.EventSessionRevoked:
		return l.T("activity.session_revoked", "Device", device, "Actor", actor)
	case db.EventOtherSessionsRevoked:
		return l.N("activity.other_sessions_revoked", e.Details.Int("count"), "Actor", actor)
	case db.EventSessionExpired:
		return l.T("activity.session_expired", "Device", device)
	case db.EventPasswordChanged:
		return l.T("activity.password_changed", "Actor", actor)
	case db.EventSessionBound:
		return l.T("activity.session_bound", "Device", device)
	case db.EventUnboundRefused:
		return l.T("activity.session_unbound_refused", "Device", device)
	case db.EventReauthenticated:
		return l.T("activity.reauthenticated", "Device", device)
	case db.EventSessionEvicted:
		return l.T("activity.session_evicted", "Device", device)
	case db.EventAccountSecured:
		return l.N("activity.account_secured", e.Details.Int("count"), "Actor", actor)
	case db.EventSessionEndedByPolicy:
		return l.T("activity.session_ended_by_policy", "Device", device)
	case db.EventSessionEndedByAdmin:
		return l.T("activity.session_ended_by_admin", "Device", device, "Reason", adminReasonText(l, e.Details.String("reason")))
	}
	return l.T("activity.other", "Type", e.Type)
}

// eventDevice names a device from an event's browser and OS details, else its label.
func eventDevice(l *locale.Localizer, d db.Details, browserKey, osKey, fallback string) string {
	if b, o := d.String(browserKey), d.String(osKey); b != "" || o != "" {
		return l.Device(b, o)
	}
	if fallback != "" {
		return fallback
	}
	return l.T("device.unknown")
}

// endedHow says how a session ended and from which device.
func endedHow(l *locale.Localizer, s db.EndedSession) string {
	if !s.RevokedAt.Valid || s.RevokedAt.Time.After(s.EndedAt) {
		return l.T("ended.expired")
	}
	by := l.T("device.unknown")
	if s.ByBrowser.Valid || s.ByOS.Valid {
		by = l.Device(s.ByBrowser.String, s.ByOS.String)
	}
	switch {
	case s.RevokedBySessionID.Valid && s.RevokedBySessionID.String == s.ID:
		return l.T("ended.signed_out")
	case s.RevokeReason == "password_changed":
		return l.T("ended.password_changed", "Actor", by)
	case s.RevokeReason == auth.ReasonSessionLimit:
		return l.T("ended.session_limit", "Actor", by)
	case s.RevokeReason == auth.ReasonAccountSecured:
		return l.T("ended.account_secured", "Actor", by)
	case s.RevokeReason == auth.ReasonPolicyChange:
		return l.T("ended.policy_change")
	}
	if code, ok := auth.AdminEndReason(s.RevokeReason); ok {
		return l.T("ended.admin", "Reason", adminReasonText(l, code))
	}
	return l.T("ended.revoked", "Actor", by)
}

// moreActivity is the htmx "Show more": the next page of rows, rendered by the same row
// template as the page, replacing the old "Show more" item.
func (h *Handler) moreActivity(c *fiber.Ctx) error {
	cur := current(c)
	before := c.Query("before")
	page, err := h.auth.SecurityEvents(c.UserContext(), *cur, before, auth.DefaultEventPage)
	if errors.Is(err, auth.ErrBadCursor) {
		return errBadCursor
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(securityPath+"?before="+url.QueryEscape(before)+"#activity-heading", fiber.StatusSeeOther)
	}
	l := h.localizer(c)
	return h.fragment(c, "partials/activity_page", h.newActivityPage(l, page, true))
}

// allEndedSessions is the htmx "Show all ended sessions": the same card (partials/
// ended_sessions) with every recently ended session, open, the first row it adds marked to
// take focus (app.js), so a keyboard or screen-reader user goes on reading where the list
// grew. Without htmx: the page that lists them all.
func (h *Handler) allEndedSessions(c *fiber.Ctx) error {
	if !isHTMX(c) {
		return c.Redirect(securityPath+"?ended=all#ended-sessions", fiber.StatusSeeOther)
	}
	l := h.localizer(c)
	a, err := h.loadSecurityActivity(c, l, h.csrfToken(c), current(c), true)
	if err != nil {
		return err
	}
	if len(a.Ended) > auth.EndedShown {
		a.Ended[auth.EndedShown].Focus = true
	}
	return h.fragment(c, "partials/ended_sessions", a)
}

// dismissNotices is the summary card's Dismiss: the notices it summed up (its form names
// them, so one that came after the page was rendered is not hidden unseen) are hidden, by
// DismissNotice's rule; htmx swaps the (now empty) card, a form returns to the page.
func (h *Handler) dismissNotices(c *fiber.Ctx) error {
	cur := current(c)
	for _, id := range c.Context().PostArgs().PeekMulti("notice") {
		err := h.auth.DismissNotice(c.UserContext(), *cur, string(id))
		if err != nil && !errors.Is(err, auth.ErrNoticeNotFound) {
			return err
		}
	}
	if !isHTMX(c) {
		return c.Redirect(securityPath, fiber.StatusSeeOther)
	}
	l := h.localizer(c)
	return h.fragment(c, "partials/activity_dismissed", securityActivity{L: l, CSRF: h.csrfToken(c)})
}

// dismissNotice hides a "new sign-in" notice: htmx deletes it in place, a form returns
// to the page.
func (h *Handler) dismissNotice(c *fiber.Ctx) error {
	err := h.auth.DismissNotice(c.UserContext(), *current(c), c.Params("id"))
	if err != nil && !errors.Is(err, auth.ErrNoticeNotFound) {
		return err
	}
	if isHTMX(c) {
		// 200, not 204: htmx 4 does not swap a 204, and the button asks for "delete".
		return h.fragment(c, "partials/activity_dismissed", securityActivity{L: h.localizer(c), CSRF: h.csrfToken(c)})
	}
	return c.Redirect(securityPath, fiber.StatusSeeOther)
}

// apiEvent is an audit event in the JSON API.
type apiEvent struct {
	ID             int64      `json:"id"`
	Type           string     `json:"type"`
	Message        string     `json:"message"`
	SessionID      *string    `json:"session_id"`
	ActorSessionID *string    `json:"actor_session_id"`
	IP             string     `json:"ip"`
	Location       *location  `json:"location"` // where ip is; null when not known
	DeviceLabel    string     `json:"device_label"`
	CreatedAt      time.Time  `json:"created_at"`
	Details        db.Details `json:"details"`
}

// apiSecurityEvents is GET /api/users/me/security-events/?before=<cursor>&limit=<n>.
func (h *Handler) apiSecurityEvents(c *fiber.Ctx) error {
	limit := auth.DefaultEventPage
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errBadLimit
		}
		limit = min(n, auth.MaxEventPage)
	}
	cur := current(c)
	page, err := h.auth.SecurityEvents(c.UserContext(), *cur, c.Query("before"), limit)
	if errors.Is(err, auth.ErrBadCursor) {
		return errBadCursor
	}
	if err != nil {
		return err
	}
	l := h.localizer(c)
	out := make([]apiEvent, 0, len(page.Events))
	for _, e := range page.Events {
		out = append(out, h.newAPIEvent(l, e))
	}
	return sendJSON(c, fiber.Map{"events": out, "next": nullable(page.Next)})
}

// newAPIEvent is an audit event as the JSON API shows it.
func (h *Handler) newAPIEvent(l *locale.Localizer, e db.AuditEvent) apiEvent {
	return apiEvent{
		ID: e.ID, Type: e.Type, Message: eventText(l, e), SessionID: nullable(e.SessionID.String),
		ActorSessionID: nullable(e.ActorSessionID.String), IP: e.IP, Location: h.newLocation(eventPlace(e.Details)),
		DeviceLabel: e.DeviceLabel, CreatedAt: e.CreatedAt.UTC(), Details: e.Details,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
