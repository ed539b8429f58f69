package handlers

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkAPIListJSON writes the JSON of a 50-session list as apiListSessions does, and
// gzips it as compress does, without the database or HTTP.
func BenchmarkAPIListJSON(b *testing.B) {
	now := time.Now().UTC()
	var list []apiSession
	for _, s := range benchSessions(now) {
		list = append(list, apiSession{ID: s.ID, Browser: s.Browser, OS: s.OS, IP: s.IP, UserAgent: s.UserAgent,
			CreatedAt: s.CreatedAt, LastActiveAt: s.LastSeenAt, ExpiresAt: s.CreatedAt.Add(30 * 24 * time.Hour),
			LastIP: s.IP, Location: &location{City: "Berlin", Region: "Land Berlin", Country: "Germany", CountryCode: "DE"}})
	}
	encode := func() []byte {
		out := make([]byte, 0, len(`{"sessions":[]}`)+len(list)*apiSessionJSONSize)
		out = append(out, `{"sessions":[`...)
		for i := range list {
			if i > 0 {
				out = append(out, ',')
			}
			out = list[i].appendJSON(out)
		}
		return append(out, "]}"...)
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
			var gz bytes.Buffer
			gz.Grow(len(out) / 4)
			if !gzipTo(&gz, out) {
				b.Fatal("the list did not shrink")
			}
			b.SetBytes(int64(len(out)))
		}
	})
}
