package handlers

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The list's times are strings formatted once; they must be the bytes time.Time's
// MarshalJSON wrote for the UTC time, whatever the precision and zone of the input.
func TestRFC3339IsWhatTimeMarshalJSONWrites(t *testing.T) {
	east := time.FixedZone("", 5*3600+30*60)
	west := time.FixedZone("", -8*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 12, 1, 5, 2, 35, 0, time.UTC),
		time.Date(2026, 12, 1, 5, 2, 35, 73699000, time.UTC),  // microseconds, as PostgreSQL stores
		time.Date(2026, 12, 1, 5, 2, 35, 100000000, time.UTC), // trailing zeros dropped
		time.Date(2026, 12, 1, 5, 2, 35, 123456789, east),     // another zone: shown in UTC
		time.Date(2026, 12, 31, 23, 59, 59, 999999000, west),  // a zone that moves the date
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want, err := json.Marshal(tm.UTC())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(rfc3339(tm))
		if string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", tm, got, want)
		}
	}
}

// sendJSON writes exactly what c.JSON (json.Marshal) wrote, escapes included, with the
// same headers.
func TestSendJSONWritesWhatMarshalWrites(t *testing.T) {
	v := apiSessionList{Sessions: []apiSession{{
		ID: "a", Label: "<b>&\u2028", UserAgent: "Mozilla/5.0 \"quoted\" \\ \xff bad UTF-8",
		CreatedAt: rfc3339(time.Now()), Location: &location{City: "Zürich"},
	}}}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return sendJSON(c, v) })
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	want, _ := json.Marshal(fiber.Map{"sessions": v.Sessions})
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
}
