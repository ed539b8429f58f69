package handlers

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// listUserAgents are some of the agents bench/seed.go gives a user's sessions: a list of one
// agent repeated gzips about twice as fast as a real one.
var listUserAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) DoCodeGo/1.4.0 Tauri/2.1.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
}

// BenchmarkAPIListJSON writes the JSON of a 50-session list (sessionListJSON, as
// apiListSessions does) and gzips it (gzipped, as compress does), without the database or
// HTTP.
func BenchmarkAPIListJSON(b *testing.B) {
	now := time.Now().UTC()
	var list []apiSession
	for i, s := range benchSessions(now) {
		ip := "81.2.69." + strconv.Itoa(i+1)
		list = append(list, apiSession{ID: uuid.NewString(), Browser: s.Browser, OS: s.OS, IP: ip,
			UserAgent: listUserAgents[i%len(listUserAgents)],
			CreatedAt: s.CreatedAt.Add(-time.Duration(i) * 3777777 * time.Microsecond), LastActiveAt: s.LastSeenAt,
			ExpiresAt: s.CreatedAt.Add(30 * 24 * time.Hour), LastIP: ip,
			Location: &location{City: "Berlin", Region: "Land Berlin", Country: "Germany", CountryCode: "DE"}})
	}
	encode := func() []byte {
		return sessionListJSON(len(list), func(i int) apiSession { return list[i] })
	}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.SetBytes(int64(len(encode())))
		}
	})
	b.Run("gzip", func(b *testing.B) {
		out := encode()
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := gzipped(out); !ok {
				b.Fatal("the list did not shrink")
			}
			b.SetBytes(int64(len(out)))
		}
	})
}
