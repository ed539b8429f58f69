package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
)

// namesPath is the page where a person names their sessions; the security page links it
// (one link, not a form per row: the 50-session page keeps its 40 KB budget).
const namesPath = securityPath + "/names"

// nameRow is one session and its name field.
type nameRow struct {
	ID, Device, Name, Error string
	Current                 bool
}

// namesPage is /app/settings/security/names.
type namesPage struct {
	Layout
	Rows     []nameRow
	Max      int
	Done     string
	Error    string
	ErrorFor string
}

// sessionNames is GET /app/settings/security/names.
func (h *Handler) sessionNames(c *fiber.Ctx) error {
	p, err := h.newNamesPage(c)
	if err != nil {
		return err
	}
	if c.Query("saved") == "1" {
		p.Done = p.L.T("name_device.saved")
	}
	return h.page(c, "pages/session_names", p)
}

func (h *Handler) newNamesPage(c *fiber.Ctx) (*namesPage, error) {
	cur, l := current(c), h.localizer(c)
	sessions, err := h.auth.Sessions(c.UserContext(), *cur)
	if err != nil {
		return nil, err
	}
	p := &namesPage{Layout: h.layout(c, l.T("name_device.title")), Max: auth.MaxSessionName}
	for _, s := range sessions {
		p.Rows = append(p.Rows, nameRow{ID: s.ID, Device: l.Device(s.Browser, s.OS), Name: s.Name, Current: s.ID == cur.Session.ID})
	}
	return p, nil
}

// renameSession is POST /app/settings/security/sessions/:id/name {name}: a name too long or
// with control characters is 422 with the field named and nothing changed.
func (h *Handler) renameSession(c *fiber.Ctx) error {
	name := formValue(c, "name")
	err := h.auth.RenameSession(c.UserContext(), *current(c), c.Params("id"), name)
	var in *auth.InputError
	if errors.As(err, &in) {
		p, perr := h.newNamesPage(c)
		if perr != nil {
			return perr
		}
		p.Error, p.ErrorFor = p.L.T("name_device.error.field", "Problem", p.L.T(in.Code, "Max", auth.MaxSessionName)), c.Params("id")
		for i := range p.Rows {
			if p.Rows[i].ID == c.Params("id") {
				p.Rows[i].Name, p.Rows[i].Error = echoText(name), p.Error
			}
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return h.page(c, "pages/session_names", p)
	}
	if err != nil {
		return err // a session not found is the error handler's 404
	}
	return c.Redirect(namesPath+"?saved=1", fiber.StatusSeeOther)
}
