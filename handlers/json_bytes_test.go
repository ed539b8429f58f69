package handlers

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// sendJSON writes exactly what c.JSON (json.Marshal) wrote, escapes included, with the
// same headers.
func TestSendJSONWritesWhatMarshalWrites(t *testing.T) {
	v := fiber.Map{"sessions": trickySessions()}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return sendJSON(c, v) })
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	want, _ := json.Marshal(v)
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
}

// The list's hand-written encoder writes json.Marshal's bytes for every session, whatever
// its strings hold.
func TestAPISessionAppendJSONIsMarshal(t *testing.T) {
	for _, s := range trickySessions() {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.appendJSON(nil); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// The whole list is json.Marshal's {"sessions": [...]}, empty or not.
func TestSessionListJSONIsMarshal(t *testing.T) {
	for _, list := range [][]apiSession{{}, trickySessions()} {
		want, err := json.Marshal(fiber.Map{"sessions": list})
		if err != nil {
			t.Fatal(err)
		}
		if got := sessionListJSON(len(list), func(i int) apiSession { return list[i] }); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// appendJSONTime writes MarshalJSON's bytes for any moment a list can hold, in UTC (its
// own formatter) and in other zones, from 1970 to 9999, to the nanosecond and to the second.
func TestAppendJSONTimeIsMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(28, 7))
	edges := []time.Time{time.Unix(0, 0), time.Unix(year10000-1, 999999999), time.Unix(951782400, 0), // 2000-02-29
		time.Unix(4107456000, 1), time.Unix(1796083200, 100000000), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range 200000 {
		sec := rng.Int64N(year10000)
		var nsec int64
		switch i % 4 {
		case 1:
			nsec = rng.Int64N(1e9)
		case 2:
			nsec = rng.Int64N(1e6) * 1000 // microseconds, as PostgreSQL stores
		case 3:
			nsec = rng.Int64N(1e3) * 1e6
		}
		edges = append(edges, time.Unix(sec, nsec))
	}
	for i, at := range edges {
		zone := time.UTC
		if i%5 == 4 {
			zone = time.FixedZone("", 5*3600+45*60)
		}
		at = at.In(zone)
		want, err := at.MarshalJSON()
		if err != nil {
			continue // outside RFC 3339's years: MarshalJSON refuses, and so does json.Marshal
		}
		if got := appendJSONTime(nil, at); string(got) != string(want) {
			t.Fatalf("%v: got %s, want %s", at, got, want)
		}
	}
}

// trickySessions are API sessions with every kind of string json.Marshal escapes.
func trickySessions() []apiSession {
	return []apiSession{
		{ID: "00000000-0000-4000-8000-000000000001", Label: "Chrome on macOS", Browser: "Chrome", OS: "macOS",
			DeviceType: "desktop", IP: "192.0.2.1", UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
			CreatedAt:    time.Date(2026, 12, 1, 5, 2, 35, 73699000, time.UTC),  // microseconds, as PostgreSQL stores
			LastActiveAt: time.Date(2026, 12, 1, 5, 2, 35, 100000000, time.UTC), // trailing zeros dropped
			ExpiresAt:    time.Date(2026, 12, 8, 5, 2, 35, 0, time.UTC), Current: true, LastIP: "2001:db8::1"},
		{CreatedAt: time.Date(2026, 12, 1, 5, 2, 35, 123456789, time.FixedZone("", 5*3600+45*60)),
			LastActiveAt: time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.FixedZone("", -8*3600))},
		{ID: "a", Label: "<b>&amp;</b>", Browser: "\u2028\u2029", OS: `quote " backslash \\ slash /`,
			DeviceType: "tab\tnew line\n\x00\x1f\x7f", UserAgent: "bad UTF-8 \xff\xfe, é, 日本, 😀",
			Location: &location{City: "Zürich", Region: "ZH", Country: "Côte d'Ivoire", CountryCode: "CH"}, DeviceBound: true},
		{Location: &location{}},
		{},
	}
}
