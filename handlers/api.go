package handlers

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/geo"
)

// apiError answers {"error": code} with the status, plus a readable message when given.
func apiError(c *fiber.Ctx, status int, code, message string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	body := fiber.Map{"error": code}
	if message != "" {
		body["message"] = message
	}
	return c.Status(status).JSON(body)
}

// decodeJSON reads a JSON body into v; a malformed body is a 400 with a message.
func decodeJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return &httpError{status: fiber.StatusBadRequest, code: "invalid_json", message: "error.bad_request"}
	}
	return nil
}

// apiUser is the user object of the JSON API (better-auth's shape).
type apiUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// apiSession is a session as the JSON API shows it: never a token or a hash.
type apiSession struct {
	ID           string    `json:"id"`
	Label        string    `json:"label"`
	Browser      string    `json:"browser"`
	OS           string    `json:"os"`
	DeviceType   string    `json:"device_type"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"user_agent"`
	CreatedAt    time.Time `json:"created_at"` // in UTC
	LastActiveAt time.Time `json:"last_active_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Current      bool      `json:"current"`
	LastIP       string    `json:"last_ip"`      // the address last seen (ip is the sign-in one)
	Location     *location `json:"location"`     // where last_ip is; null when not known
	DeviceBound  bool      `json:"device_bound"` // DBSC: a copied cookie stops working within minutes
}

// location is where an address is, in every JSON answer that has one: the session list,
// better-auth's session objects and security events. Country names are English here: the
// answers are cached for every reader alike, and clients have country_code to name it.
type location struct {
	City        string `json:"city"`
	Region      string `json:"region"`
	Country     string `json:"country"`
	CountryCode string `json:"country_code"`
}

// newLocation is p as JSON, or nil (null) for an unknown place.
func (h *Handler) newLocation(p geo.Place) *location {
	if !p.Known() {
		return nil
	}
	return &location{City: p.City, Region: p.Region, Country: h.catalog.Lang("en").Country(p.CountryCode),
		CountryCode: p.CountryCode}
}

func (h *Handler) newAPISession(s db.Session, currentID string) apiSession {
	return apiSession{
		ID: s.ID, Label: s.Label, Browser: s.Browser, OS: s.OS, DeviceType: s.DeviceType,
		IP: s.IP, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt.UTC(),
		LastActiveAt: s.LastSeenAt.UTC(), ExpiresAt: h.auth.Config().ExpiresAt(s).UTC(),
		Current: s.ID == currentID, LastIP: s.LatestIP(), Location: h.newLocation(s.LatestPlace()), DeviceBound: s.DeviceBound,
	}
}

// sendJSON answers 200 with v, never cached: every answer is personal. It writes the bytes
// c.JSON (json.Marshal) writes, but encodes into a pooled buffer copied into the response's
// own pooled body, where json.Marshal allocated every answer afresh (25 KB for a list of 50).
func sendJSON(c *fiber.Ctx, v any) error {
	buf := jsonBuffers.Get()
	defer jsonBuffers.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	sendJSONBytes(c, bytes.TrimSuffix(buf.B, []byte("\n"))) // Encode ends with one; Marshal does not
	return nil
}

// sendJSONBytes answers 200 with a copy of the JSON b, never cached, like sendJSON.
func sendJSONBytes(c *fiber.Ctx, b []byte) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	c.Response().SetBody(b)
}
