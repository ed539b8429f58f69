package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/device"
)

// benchUser seeds a user with 50 live sessions among 10,000 stored and returns the user id
// and the token of one of its sessions.
func benchUser(b *testing.B) (*db.Store, string, string) {
	b.Helper()
	store := dbtest.NewStore(b)
	_, err := store.DB().Exec(`
		INSERT INTO users (id, email, name, password_hash)
		SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid, 'u' || u || '@example.test', 'U', 'x'
		FROM generate_series(0, 199) u;
		INSERT INTO sessions (user_id, token_hash, user_agent, browser, os, label, created_at, last_seen_at, expires_at)
		SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
			sha256(convert_to(translate(rtrim(encode(sha256(convert_to(u || ':' || j, 'UTF8')), 'base64'), '='), '+/', '-_'), 'UTF8')),
			'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'Firefox', 'Linux', 'Firefox on Linux',
			now() - j * interval '1 hour', now(), now() + interval '30 days'
		FROM generate_series(0, 199) u, generate_series(0, 49) j;
		ANALYZE;`)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256([]byte("0:0"))
	return store, "00000000-0000-4000-a000-000000000000", base64.RawURLEncoding.EncodeToString(sum[:])
}

// BenchmarkSessionCheck is the check every signed-in request makes: token shape, hash,
// one prepared lookup, the expiry rules.
func BenchmarkSessionCheck(b *testing.B) {
	store, _, token := benchUser(b)
	devices, err := device.NewParser("DoCodeGo")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(store, devices, auth.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Authenticate(ctx, token, "127.0.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkActiveSessions is the list query of a user with 50 live sessions.
func BenchmarkActiveSessions(b *testing.B) {
	store, userID, _ := benchUser(b)
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rows, err := store.ActiveSessions(ctx, userID, now, now.Add(-7*24*time.Hour), now.Add(-30*24*time.Hour))
			if err != nil || len(rows) != 50 {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
		}
	})
}
