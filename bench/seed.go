package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docodego/sessions/db"
)

// Seeded data. Every token is real: token(u, j) is base64url(sha256("bench:u:j")) and the
// row stores sha256(token), exactly what a sign-in stores, so the load generator signs in
// with a cookie like any browser.
const (
	smallUsers      = 200    // 200 users x 50 sessions = 10,000 stored sessions
	sessionsPerUser = 50     // the bench user (user 0) has 50 live sessions
	largeUsers      = 10_000 // after growing: 1,000,000 stored sessions
	largeSessions   = 1_000_000
	// The DELETE row: 32 users each revoke their own sessions, as 32 people would (one
	// user's revocations queue on that user's row, by design: see migration 00005). wrk
	// thread t, request n acts as deleter t*16 + n%16. pgbench has 32 deleters of its own.
	deleters          = 32
	deleterFirst      = largeUsers - 2*deleters // users deleterFirst.. revoke; the rest are filler
	perDeleter        = 6_250                   // revocable sessions of each deleter
	deletersPerThread = deleters / 2            // wrk runs 2 threads (-t 2)
)

// deleter is the user of deleter slot d (0..31 for wrk, 32..63 for pgbench).
func deleter(d int) int { return deleterFirst + d }

// token is the cookie value of seeded session (user, j).
func token(user int, j string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "bench:%d:%s", user, j))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// userID is seeded user u's id.
func userID(u int) string { return fmt.Sprintf("00000000-0000-4000-a000-%012x", u) }

// deleteID is the id of deleter slot d's k-th revocable session.
func deleteID(d, k int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", d*perDeleter+k) }

// tokenSQL is token() in SQL, for generate_series: {U} and {J} are the SQL expressions.
const tokenSQL = `translate(rtrim(encode(sha256(convert_to('bench:' || {U} || ':' || {J}, 'UTF8')), 'base64'), '='), '+/', '-_')`

// deviceSQL picks one of four real user agents, with the labels a sign-in would store, by {N}.
const deviceSQL = `(ARRAY[
	'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
	'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
	'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) DoCodeGo/1.4.0 Tauri/2.1.1'])[{N} % 4 + 1],
	(ARRAY['Chrome', 'Firefox', 'Mobile Safari', 'DoCodeGo Desktop'])[{N} % 4 + 1],
	(ARRAY['macOS', 'Windows', 'iOS', 'Linux'])[{N} % 4 + 1],
	(ARRAY['desktop', 'desktop', 'mobile', 'desktop'])[{N} % 4 + 1],
	(ARRAY['Chrome on macOS', 'Firefox on Windows', 'Mobile Safari on iOS', 'DoCodeGo Desktop on Linux'])[{N} % 4 + 1]`

const insertSessions = `INSERT INTO sessions (id, user_id, token_hash, user_agent, browser, os, device_type, label, ip,
	created_at, last_seen_at, expires_at, revoked_at) `

// sqlf fills {NAME} placeholders (values are our own numbers and ids, never input).
func sqlf(q string, kv ...any) string {
	for i := 0; i < len(kv); i += 2 {
		q = strings.ReplaceAll(q, "{"+kv[i].(string)+"}", fmt.Sprint(kv[i+1]))
	}
	return q
}

// seedSmall stores 10,000 users (the large scale's accounts) and 200 of them with 50
// sessions each; one in ten of the other users' sessions is revoked.
func seedSmall(ctx context.Context, store *db.Store) error {
	return execAll(ctx, store,
		sqlf(`INSERT INTO users (id, email, name, password_hash)
			SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				'user' || u || '@bench.test', 'Bench User ' || u, 'not a hash: nobody signs in'
			FROM generate_series(0, {LAST}) u`, "LAST", largeUsers-1),
		sqlf(insertSessions+`
			SELECT gen_random_uuid(), ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, '192.0.2.' || (j % 250 + 1),
				now() - j * interval '1 hour', now() - j * interval '1 second', now() + interval '29 days',
				CASE WHEN u > 0 AND j % 10 = 9 THEN now() END
			FROM generate_series(0, {USERS}) u, generate_series(0, {PER}) j`,
			"U", "u", "J", "j", "N", "j", "USERS", smallUsers-1, "PER", sessionsPerUser-1),
		`VACUUM ANALYZE`,
	)
}

// seedLarge grows the table to 1,000,000 sessions over the 10,000 users: the deleters'
// revocable sessions and own sessions, and the rest spread over users 200..deleterFirst-1.
func seedLarge(ctx context.Context, store *db.Store) error {
	deletable := 2 * deleters * perDeleter
	filler := largeSessions - smallUsers*sessionsPerUser - deletable - 2*deleters
	return execAll(ctx, store,
		sqlf(insertSessions+`
			SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
				('00000000-0000-4000-a000-' || lpad(to_hex({FIRST} + n / {PER}), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, '198.51.100.7',
				now() - interval '1 day', now() - interval '1 hour', now() + interval '29 days', NULL
			FROM generate_series(0, {LAST}) n`,
			"U", "'d'", "J", "n", "N", "n", "FIRST", deleterFirst, "PER", perDeleter, "LAST", deletable-1),
		sqlf(insertSessions+`
			SELECT gen_random_uuid(), ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), 'curl/8.5.0', '', '', '', 'curl', '',
				now(), now(), now() + interval '29 days', NULL
			FROM generate_series({FIRST}, {LAST}) u`,
			"U", "u", "J", "'current'", "FIRST", deleterFirst, "LAST", deleterFirst+2*deleters-1),
		sqlf(insertSessions+`
			SELECT gen_random_uuid(), ('00000000-0000-4000-a000-' || lpad(to_hex({FIRST} + n % {SPREAD}), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, '203.0.113.9',
				now() - (n % 700) * interval '1 hour', now() - (n % 600) * interval '1 minute', now() + interval '29 days',
				CASE WHEN n % 10 = 9 THEN now() END
			FROM generate_series(0, {LAST}) n`,
			"U", "'f'", "J", "n", "N", "n", "FIRST", smallUsers, "SPREAD", deleterFirst-smallUsers, "LAST", filler-1),
		`VACUUM ANALYZE`,
	)
}

func execAll(ctx context.Context, store *db.Store, stmts ...string) error {
	for _, q := range stmts {
		start := time.Now()
		if _, err := store.DB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, q)
		}
		logf("  seed step %.1fs", time.Since(start).Seconds())
	}
	return nil
}

// countSessions is how many sessions are stored.
func countSessions(ctx context.Context, store *db.Store) (int, error) {
	var n int
	err := store.DB().GetContext(ctx, &n, `SELECT count(*) FROM sessions`)
	return n, err
}

// deviceID is the device cookie of the browser behind the bench user's session j: 16 bytes,
// base64url, like the ones the app hands out.
func deviceID(j int) string {
	sum := sha256.Sum256([]byte("bench-device:" + strconv.Itoa(j)))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
