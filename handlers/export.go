package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/locale"
)

// The security export: docs/security-export.md is its schema of record (and
// docs/security-export.schema.json the JSON's); TestExportJSONMatchesItsSchema holds them
// together. Rows come from keyset pages (auth.ExportSessions, ExportEvents) and are written
// as they come, so the server never holds the file.

// exportTimeout bounds one download, however slowly its client reads.
const exportTimeout = 10 * time.Minute

var errBadExportFormat = &httpError{fiber.StatusBadRequest, "invalid_format", "export.error.format"}

// exportSession is a session in the export.
type exportSession struct {
	ID           string     `json:"id"`
	CreatedAt    time.Time  `json:"created_at"`
	LastActiveAt time.Time  `json:"last_active_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	EndedAt      *time.Time `json:"ended_at"`
	EndReason    *string    `json:"end_reason"`
	DeviceLabel  string     `json:"device_label"`
	Browser      string     `json:"browser"`
	OS           string     `json:"os"`
	DeviceType   string     `json:"device_type"`
	UserAgent    string     `json:"user_agent"`
	IP           string     `json:"ip"`
	LastIP       string     `json:"last_ip"`
	City         string     `json:"city"`
	CountryCode  string     `json:"country_code"`
	DeviceBound  bool       `json:"device_bound"`
	Persistent   bool       `json:"persistent"`
	Name         string     `json:"name"` // the person's name for it ("Work laptop"), "" when none
}

// exportEvent is a security event in the export.
type exportEvent struct {
	ID             int64      `json:"id"`
	Type           string     `json:"type"`
	CreatedAt      time.Time  `json:"created_at"`
	SessionID      *string    `json:"session_id"`
	ActorSessionID *string    `json:"actor_session_id"`
	IP             string     `json:"ip"`
	DeviceLabel    string     `json:"device_label"`
	Message        string     `json:"message"`
	Details        db.Details `json:"details"`
}

func (h *Handler) newExportSession(s db.Session) exportSession {
	e := exportSession{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastActiveAt: s.LastSeenAt.UTC(),
		ExpiresAt: h.auth.Config().ExpiresAt(s).UTC(), DeviceLabel: s.Label, Browser: s.Browser, OS: s.OS,
		DeviceType: s.DeviceType, UserAgent: s.UserAgent, IP: s.IP, LastIP: s.LatestIP(), City: s.City,
		CountryCode: s.CountryCode, DeviceBound: s.DeviceBound, Persistent: s.Persistent, Name: s.Name}
	if at, reason := h.auth.SessionEnd(s); reason != "" {
		at = at.UTC()
		e.EndedAt, e.EndReason = &at, &reason
	}
	return e
}

func newExportEvent(l *locale.Localizer, e db.AuditEvent) exportEvent {
	d := e.Details
	if d == nil {
		d = db.Details{}
	}
	return exportEvent{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt.UTC(), SessionID: nullable(e.SessionID.String),
		ActorSessionID: nullable(e.ActorSessionID.String), IP: e.IP, DeviceLabel: e.DeviceLabel,
		Message: eventText(l, e), Details: d}
}

// exportPage offers the two formats.
type exportPage struct{ Layout }

// exportActivity is GET /app/settings/security/export?format=json|csv: the person's
// sessions and security events as a download; without a format, the page that offers
// both. Any other format is 400 naming the field.
func (h *Handler) exportActivity(c *fiber.Ctx) error {
	format := c.Query("format")
	if format == "" {
		l := h.localizer(c)
		return h.page(c, "pages/export", &exportPage{Layout: h.layout(c, l.T("export.heading"))})
	}
	if format != "json" && format != "csv" {
		return errBadExportFormat
	}
	cur, l := *current(c), h.localizer(c)
	now := h.auth.Now().UTC()
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="security-activity-`+now.Format("2006-01-02")+`.`+format+`"`)
	write := h.writeExportJSON
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	if format == "csv" {
		write = h.writeExportCSV
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	}
	requestID := c.GetRespHeader(fiber.HeaderXRequestID)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		// The handler has returned: the stream has its own deadline, not the request's.
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if err := write(ctx, w, cur, l, now); err != nil {
			// The head is sent; the file ends short, so the client's parser sees it is cut.
			h.log.Warn("export cut short", "format", format, "user_id", cur.UserID, "request_id", requestID, "error", err.Error())
		}
	})
	return nil
}

// writeExportJSON writes the document: its head, then each session and event as read. The
// writer's buffer goes to the client whenever it fills; a client that went away makes the
// next write fail, and the export stops.
func (h *Handler) writeExportJSON(ctx context.Context, w *bufio.Writer, cur auth.Current, l *locale.Localizer, now time.Time) error {
	head, err := json.Marshal(map[string]any{"format": "docodego-security-export", "version": 1, "exported_at": now,
		"user": apiUser{ID: cur.UserID, Email: cur.Email, Name: cur.Name}})
	if err != nil {
		return err
	}
	w.Write(head[:len(head)-1]) // the object stays open for the two lists
	enc := json.NewEncoder(w)
	list := func(name string, run func(func(any) error) error) error {
		w.WriteString(`,"` + name + `":[`)
		first := true
		err := run(func(v any) error {
			if !first {
				w.WriteByte(',')
			}
			first = false
			return enc.Encode(v)
		})
		w.WriteByte(']')
		return err
	}
	err = list("sessions", func(put func(any) error) error {
		return h.auth.ExportSessions(ctx, cur, func(s db.Session) error { return put(h.newExportSession(s)) })
	})
	if err == nil {
		err = list("events", func(put func(any) error) error {
			return h.auth.ExportEvents(ctx, cur, func(e db.AuditEvent) error { return put(newExportEvent(l, e)) })
		})
	}
	if err != nil {
		return err
	}
	w.WriteString("}\n")
	return w.Flush()
}

// exportCSVHeader is the CSV's header row (docs/security-export.md).
var exportCSVHeader = []string{"record", "id", "created_at", "type", "session_id", "actor_session_id", "device_label",
	"browser", "os", "device_type", "user_agent", "ip", "last_ip", "city", "country_code", "last_active_at", "expires_at",
	"ended_at", "end_reason", "device_bound", "persistent", "message", "details", "name"}

// writeExportCSV writes one table: a header, a row per session, a row per event.
func (h *Handler) writeExportCSV(ctx context.Context, w *bufio.Writer, cur auth.Current, l *locale.Localizer, _ time.Time) error {
	out := csv.NewWriter(w) // RFC 4180 quoting; CRLF line ends, as the RFC has them
	out.UseCRLF = true
	put := func(cells []string) error {
		for i := range cells {
			cells[i] = neutralizeFormula(cells[i])
		}
		return out.Write(cells)
	}
	if err := put(append([]string(nil), exportCSVHeader...)); err != nil {
		return err
	}
	err := h.auth.ExportSessions(ctx, cur, func(s db.Session) error {
		e := h.newExportSession(s)
		ended, reason := "", ""
		if e.EndedAt != nil {
			ended, reason = csvTime(*e.EndedAt), *e.EndReason
		}
		return put([]string{"session", e.ID, csvTime(e.CreatedAt), "", e.ID, "", e.DeviceLabel, e.Browser, e.OS, e.DeviceType,
			e.UserAgent, e.IP, e.LastIP, e.City, e.CountryCode, csvTime(e.LastActiveAt), csvTime(e.ExpiresAt), ended, reason,
			strconv.FormatBool(e.DeviceBound), strconv.FormatBool(e.Persistent), "", "", e.Name})
	})
	if err == nil {
		err = h.auth.ExportEvents(ctx, cur, func(ev db.AuditEvent) error {
			e := newExportEvent(l, ev)
			details, err := json.Marshal(e.Details)
			if err != nil {
				return err
			}
			return put([]string{"event", strconv.FormatInt(e.ID, 10), csvTime(e.CreatedAt), e.Type, deref(e.SessionID), deref(e.ActorSessionID),
				e.DeviceLabel, "", "", "", "", e.IP, "", "", "", "", "", "", "", "", "", e.Message, string(details), ""})
		})
	}
	out.Flush()
	if err != nil {
		return err
	}
	if err := out.Error(); err != nil {
		return err
	}
	return w.Flush()
}

// neutralizeFormula keeps a spreadsheet from running a cell as a formula (OWASP "CSV
// injection"): a value starting with =, +, -, @, a tab or a carriage return gets a leading '.
func neutralizeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
