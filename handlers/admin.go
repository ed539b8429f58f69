package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
	"github.com/docodego/sessions/views/rows"
)

// adminAuditShown is how many audit entries the admin start page lists.
const adminAuditShown = 50

// adminLink is one entry of the admin start page's menu.
type adminLink struct{ Href, Text string }

// adminAuditRow is one audit entry as the admin start page shows it.
type adminAuditRow struct {
	At                      rows.Time
	Who, From, What, Status string
}

// adminHomePage is /admin.
type adminHomePage struct {
	Layout
	Links []adminLink
	Audit []adminAuditRow
}

// adminHome is GET /admin: the admin menu and the newest entries of the audit trail.
func (h *Handler) adminHome(c *fiber.Ctx) error {
	l := h.localizer(c)
	entries, err := h.auth.AdminAudit(c.UserContext(), adminAuditShown)
	if err != nil {
		return err
	}
	return h.page(c, "pages/admin_home", &adminHomePage{
		Layout: h.layout(c, l.T("admin.home.title")),
		Links:  []adminLink{{Href: policiesPath, Text: l.T("policy.title")}, {Href: usersPath, Text: l.T("support.title")}},
		Audit:  adminAuditRows(l, entries),
	})
}

func adminAuditRows(l *locale.Localizer, entries []db.AdminAuditEntry) []adminAuditRow {
	audit := make([]adminAuditRow, 0, len(entries))
	for _, e := range entries {
		from := e.IP
		if e.UserAgent != "" {
			from += " · " + e.UserAgent
		}
		audit = append(audit, adminAuditRow{
			At:  rows.Time{ISO: isoTime(e.CreatedAt), Text: l.DateTime(e.CreatedAt)},
			Who: e.ActorEmail, From: from, What: e.Action, Status: strconv.Itoa(e.Status),
		})
	}
	return audit
}

// apiAdminMe is GET /api/admin/me: who the administrator is, and the CSRF token the
// admin API's writes must send (X-CSRF-Token), bound to this client's device cookie.
func (h *Handler) apiAdminMe(c *fiber.Ctx) error {
	cur := current(c)
	return sendJSON(c, fiber.Map{
		"user":       apiUser{ID: cur.UserID, Email: cur.Email, Name: cur.Name},
		"csrf_token": h.csrfToken(c),
	})
}
