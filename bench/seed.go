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

// The seeded population, shaped like production (issue 15): 10,000 users and 1,000,000
// stored sessions. Live sessions per user are skewed: most people have 1-5, one in twenty
// has 50 (the list and page rows' users), one in a hundred 50-200. The rest of the million
// are ended sessions (revoked or expired, kept for the "recently ended" list) spread over
// everyone. Every token is real: token(u, j) is base64url(sha256("bench:u:j")) and the row
// stores sha256(token), exactly what a sign-in stores, so the load generators send cookies
// like any browser's. The audit log holds the events those sessions left (seedAuditLog).
const (
	users         = 10_000
	largeSessions = 1_000_000
	// The revocation row: 32 users each revoke their own sessions, as 32 people would (one
	// user's revocations queue on that user's row, by design: see migration 00005). pgbench
	// has 32 deleters of its own. They are the last 64 users, outside the random picks.
	deleters     = 32
	deleterFirst = users - 2*deleters // users 0..deleterFirst-1 are the random population
	perDeleter   = 2_000              // revocable sessions of each deleter
	population   = deleterFirst
)

// liveSessions is how many live sessions user u (< population) has; liveSQL is the same in
// SQL and pgbench expressions, over {U}.
func liveSessions(u int) int {
	switch {
	case u%100 == 0:
		return 50 + (u/100*37)%151
	case u%20 == 1:
		return 50
	}
	return 1 + (u/3)%5
}

const liveSQL = `(CASE WHEN {U} % 100 = 0 THEN 50 + ({U} / 100 * 37) % 151 WHEN {U} % 20 = 1 THEN 50 ELSE 1 + ({U} / 3) % 5 END)`

// listUsers are the users with 50 sessions, whom the list and page rows pick from: user
// listUser(i) for i < listUserCount.
const listUserCount = (population-2)/20 + 1

func listUser(i int) int { return 20*i + 1 }

// token is the cookie value of seeded session (user, j).
func token(user int, j string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "bench:%d:%s", user, j))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// deleteID is the id of deleter slot d's k-th revocable session; actingID is the id of
// deleter user u's own ("current") session, which revokes them.
func deleteID(d, k int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", d*perDeleter+k) }

// deleter is the user of deleter slot d (0..31 for the app, 32..63 for pgbench).
func deleter(d int) int { return deleterFirst + d }

// tokenSQL is token() in SQL, for generate_series: {U} and {J} are the SQL expressions.
const tokenSQL = `translate(rtrim(encode(sha256(convert_to('bench:' || {U} || ':' || {J}, 'UTF8')), 'base64'), '='), '+/', '-_')`

// deviceSQL picks one of eight real user agents, with the labels a sign-in would store, by {N}.
const deviceSQL = `(ARRAY[
	'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
	'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
	'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) DoCodeGo/1.4.0 Tauri/2.1.1',
	'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
	'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
	'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
	'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1'])[{N} % 8 + 1],
	(ARRAY['Chrome', 'Firefox', 'Mobile Safari', 'DoCodeGo Desktop', 'Edge', 'Chrome Mobile', 'Safari', 'Chrome Mobile iOS'])[{N} % 8 + 1],
	(ARRAY['macOS', 'Windows', 'iOS', 'Linux', 'Windows', 'Android', 'macOS', 'iOS'])[{N} % 8 + 1],
	(ARRAY['desktop', 'desktop', 'mobile', 'desktop', 'desktop', 'mobile', 'desktop', 'tablet'])[{N} % 8 + 1],
	(ARRAY['Chrome on macOS', 'Firefox on Windows', 'Mobile Safari on iOS', 'DoCodeGo Desktop on Linux', 'Edge on Windows', 'Chrome Mobile on Android', 'Safari on macOS', 'Chrome Mobile iOS on iOS'])[{N} % 8 + 1]`

// ipSQL is an address by {N}: public IPv4 ranges of several countries, and some IPv6.
const ipSQL = `CASE WHEN {N} % 7 = 6 THEN '2a02:8070:' || to_hex({N} % 65536) || '::' || to_hex({N} % 4093 + 1)
	ELSE (ARRAY['81.2.69.', '89.160.20.', '2.125.160.', '175.16.199.', '216.160.83.', '67.43.156.', '24.48.0.'])[{N} % 7 + 1] || ({N} % 250 + 1) END`

const insertSessions = `INSERT INTO sessions (id, user_id, token_hash, user_agent, browser, os, device_type, label, ip,
	created_at, last_seen_at, expires_at, revoked_at) `

// sqlf fills {NAME} placeholders (values are our own numbers and ids, never input).
func sqlf(q string, kv ...any) string {
	for i := 0; i < len(kv); i += 2 {
		q = strings.ReplaceAll(q, "{"+kv[i].(string)+"}", fmt.Sprint(kv[i+1]))
	}
	return q
}

// liveTotal is how many live sessions the population has.
func liveTotal() int {
	n := 0
	for u := range population {
		n += liveSessions(u)
	}
	return n
}

// seed stores the users, their live sessions, the deleters', and (unless ended is false:
// quick A/B runs) ended sessions up to largeSessions.
func seed(ctx context.Context, store *db.Store, ended bool) error {
	stmts := []string{
		sqlf(`INSERT INTO users (id, email, name, password_hash)
			SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				'user' || u || '@bench.test', 'Bench User ' || u, 'not a hash: nobody signs in'
			FROM generate_series(0, {LAST}) u`, "LAST", users-1),
		sqlf(insertSessions+`
			SELECT gen_random_uuid(), ('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, `+ipSQL+`,
				now() - j * interval '1 hour' - u * interval '1 second', now() - j * interval '1 second',
				now() + interval '29 days', NULL
			FROM generate_series(0, {LAST}) u, LATERAL generate_series(0, `+liveSQL+` - 1) j`,
			"U", "u", "J", "j", "N", "(u + j)", "LAST", population-1),
		// The deleters: revocable sessions with known ids, and each one's own session.
		sqlf(insertSessions+`
			SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
				('00000000-0000-4000-a000-' || lpad(to_hex({FIRST} + n / {PER}), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, `+ipSQL+`,
				now() - interval '1 day', now() - interval '1 hour', now() + interval '29 days', NULL
			FROM generate_series(0, {LAST}) n`,
			"U", "'d'", "J", "n", "N", "n", "FIRST", deleterFirst, "PER", perDeleter, "LAST", 2*deleters*perDeleter-1),
		// proven_at: each deleter proved its password just now (bench/ceilings.go, reauth).
		sqlf(insertSessions+`
			SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(u), 12, '0'))::uuid,
				('00000000-0000-4000-a000-' || lpad(to_hex(u), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), 'curl/8.5.0', '', '', '', 'curl', '',
				now(), now(), now() + interval '29 days', NULL
			FROM generate_series({FIRST}, {LAST}) u`,
			"U", "u", "J", "'current'", "FIRST", deleterFirst, "LAST", users-1),
		`UPDATE sessions SET proven_at = now() WHERE id::text LIKE '00000000-0000-4000-9000-%'`,
	}
	if ended {
		n := largeSessions - liveTotal() - 2*deleters*perDeleter - 2*deleters
		// Ended sessions of the population: half revoked, half expired, within the last
		// weeks (the janitor's retention keeps them). Each person's alternate (n / POP, not
		// n: POP is even, so n's parity is its owner's, and the page's users, all odd, had
		// only revoked ones).
		stmts = append(stmts, sqlf(insertSessions+`
			SELECT gen_random_uuid(), ('00000000-0000-4000-a000-' || lpad(to_hex(n % {POP}), 12, '0'))::uuid,
				sha256(convert_to(`+tokenSQL+`, 'UTF8')), `+deviceSQL+`, `+ipSQL+`,
				now() - (n % 600 + 48) * interval '1 hour', now() - (n % 500 + 24) * interval '1 hour',
				CASE WHEN n / {POP} % 2 = 0 THEN now() - (n % 20 + 1) * interval '1 hour' ELSE now() + interval '20 days' END,
				CASE WHEN n / {POP} % 2 = 1 THEN now() - (n % 400 + 1) * interval '1 hour' END
			FROM generate_series(0, {LAST}) n`,
			"U", "'e'", "J", "n", "N", "n", "POP", population, "LAST", n-1))
	}
	if err := execAll(ctx, store, stmts...); err != nil {
		return err
	}
	if err := seedAuditLog(ctx, store); err != nil {
		return err
	}
	return execAll(ctx, store, `VACUUM ANALYZE`)
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
