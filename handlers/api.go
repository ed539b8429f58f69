package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/docodego/sessions/auth"
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

var errInvalidJSON = &httpError{status: fiber.StatusBadRequest, code: "invalid_json", message: "error.bad_request"}

// decodeJSON reads a JSON body into v: one object of the fields v has and nothing else, as
// the OpenAPI document (api/openapi.yaml) says. Anything else is a 400, before any rule or
// attempt counts: a misspelt field is refused, never silently ignored.
func decodeJSON(c *fiber.Ctx, v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return errInvalidJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalidJSON // trailing data after the object
	}
	return nil
}

// requireJSON refuses a body that is not sent as application/json (415): the JSON API
// reads no other kind, and a text/plain "simple" request is what a cross-site form sends.
func requireJSON(c *fiber.Ctx) error {
	if len(c.Body()) == 0 {
		return c.Next()
	}
	ct, _, _ := strings.Cut(string(c.Request().Header.ContentType()), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), fiber.MIMEApplicationJSON) {
		return errNotJSON
	}
	return c.Next()
}

// The longest values the API reads for fields it keeps nowhere (api/openapi.yaml says the
// same): longer is a malformed request, 400.
const (
	maxURLField    = 2000 // callbackURL, image
	maxHandleField = 100  // a session's public id as better-auth's "token"
)

// overLong reports whether an optional field is longer than n bytes.
func overLong(v *string, n int) bool { return v != nil && len(*v) > n }

// passwordShaped reports whether p can be a password at all (present, at most
// auth.MaxPasswordLength bytes): anything else is a malformed request, answered before a
// wrong attempt is counted.
func passwordShaped(p string) bool { return p != "" && len(p) <= auth.MaxPasswordLength }

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

// sendJSON answers 200 with v, never cached: every answer is personal.
func sendJSON(c *fiber.Ctx, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sendJSONBytes(c, b)
	return nil
}

// sendJSONBytes answers 200 with the JSON b, never cached, like sendJSON. The answer holds b
// itself, not a copy: the caller must not change b afterwards.
func sendJSONBytes(c *fiber.Ctx, b []byte) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	c.Response().SetBodyRaw(b)
}
