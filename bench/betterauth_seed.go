package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// better-auth's copy of the population, in its own database on the bench's cluster, in the
// tables its own migrator creates (`node server.mjs migrate`: user, session, account,
// verification, with its indexes). It holds the same users and the same live sessions as
// ours: the same counts per user, tokens, user agents, addresses and expiry. Not the ended
// ones: better-auth deletes a session it revokes, and keeps an expired one only until it is
// presented; leaving them out only spares its list query rows to skip.
//
// One difference, forced by its defaults: list-sessions answers 403 SESSION_NOT_FRESH when
// the cookie's session was created longer ago than session.freshAge (one day), so its copies
// are created within the last 18 hours (j·5 min plus up to an hour) where ours go back days.
// Their expiry (29 days out) is past better-auth's refresh point (expiresIn 7 days, updateAge
// 1 day), so no request of the row writes.
const (
	betterAuthDB     = "betterauth"
	betterAuthCookie = "better-auth.session_token"
	// betterAuthSecret is the server's BETTER_AUTH_SECRET: fixed, since the bench signs the
	// token file's cookies with it.
	betterAuthSecret = "docodego-bench-better-auth-secret-8f3a61c0d2b94e57"
)

// betterAuthSeed fills better-auth's tables from the same formulas as seed.go.
var betterAuthSeed = []string{
	sqlf(`INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
		SELECT '00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'), 'Bench User ' || u, 'user' || u || '@bench.test',
			true, now() - interval '90 days', now() - interval '90 days'
		FROM generate_series(0, {LAST}) u`, "LAST", users-1),
	sqlf(`INSERT INTO session (id, token, "userId", "userAgent", "ipAddress", "createdAt", "updatedAt", "expiresAt")
		SELECT md5('bench:' || u || ':' || j), `+tokenSQL+`, '00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'),
			d.user_agent, `+ipSQL+`,
			now() - j * interval '5 minutes' - u % 3600 * interval '1 second',
			now() - j * interval '5 minutes' - u % 3600 * interval '1 second',
			now() + interval '29 days'
		FROM generate_series(0, {LAST}) u, LATERAL generate_series(0, `+liveSQL+` - 1) j,
			LATERAL (SELECT `+deviceSQL+`) d(user_agent, browser, os, device_type, label)`,
		"U", "u", "J", "j", "N", "(u + j)", "LAST", population-1),
	`VACUUM ANALYZE`,
}

// seedBetterAuth runs betterAuthSeed on better-auth's database.
func seedBetterAuth(ctx context.Context, dsn string) error {
	conn, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range betterAuthSeed {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed better-auth: %w\n%s", err, q)
		}
		logf("  better-auth seed step %.1fs", time.Since(start).Seconds())
	}
	return nil
}

// betterAuthCookieValue is the better-auth.session_token cookie of seeded session (u, j),
// signed as better-call's signCookieValue signs it: encodeURIComponent(token + "." +
// standard base64 of HMAC-SHA256(secret, token)). Only the signature's +, / and = need
// escaping: the token is base64url.
func betterAuthCookieValue(u, j int) string {
	t := appCookieValue(u, j)
	mac := hmac.New(sha256.New, []byte(betterAuthSecret))
	mac.Write([]byte(t))
	signed := t + "." + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(signed)
}
