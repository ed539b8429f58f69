package main

import (
	"fmt"
	"strings"

	"github.com/docodego/sessions/db"
)

// The ceilings send the app's own statements (db/sql_export.go), with pgbench variables
// for their parameters: pickSQL sets :u (a seeded user) and :j (one of its sessions).

// hashSQL is the token hash of session (:u, :j), computed by PostgreSQL.
var hashSQL = "sha256(convert_to(" + sqlf(tokenSQL, "U", ":u", "J", ":j") + ", 'UTF8'))"

// checkCeilingSQL is the session check: the token lookup.
var checkCeilingSQL = lookupSQL(hashSQL) + ";\n"

// lookupSQL is the app's token lookup of hash, batched (= ANY) or not.
func lookupSQL(hash string) string {
	q := oneLine(db.SessionLookupSQL)
	if strings.Contains(q, "ANY($1)") {
		return strings.Replace(q, "$1", "ARRAY["+hash+"]", 1)
	}
	return strings.Replace(q, "$1", hash, 1)
}

// listCeilingSQL is the list read after the lookup: the user's live sessions, with the
// app's default idle timeout and lifetime (auth.DefaultConfig).
var listCeilingSQL = params(db.ActiveSessionsSQL, userIDSQL(":u"), "now()",
	"now() - interval '7 days'", "now() - interval '30 days'") + ";\n"

// deleteCeilingSQL is one revocation as the app sends it, by one of pgbench's own 32
// deleters (slots 32..63): the lookup of its session, then RevokeSessionAudited's statement.
func deleteCeilingSQL() string {
	return fmt.Sprintf("\\set d random(%d, %d)\n\\set k random(0, %d)\n\\set u %d + :d\n", deleters, 2*deleters-1, perDeleter-1, deleterFirst) +
		lookupSQL("sha256(convert_to("+sqlf(tokenSQL, "U", ":u", "J", "'current'")+", 'UTF8'))") + ";\n" +
		params(db.RevokeSessionSQL(),
			fmt.Sprintf("('00000000-0000-4000-8000-' || lpad(to_hex((:d)::int * %d + (:k)::int), 12, '0'))::uuid", perDeleter),
			userIDSQL(":u"), "('00000000-0000-4000-9000-' || lpad(to_hex((:u)::int), 12, '0'))::uuid",
			"now()", "'revoked'", "'session_revoked'", "'127.0.0.1'", `'{}'`, "now() - "+reauthWindowSQL) + ";\n"
}

// reauthWindow is the app's REAUTH_WINDOW in the bench, long enough for the whole run:
// the deleters' sessions proved their password at seeding, and a revoke needs that.
const (
	reauthWindow    = "2h"
	reauthWindowSQL = "interval '2 hours'"
)

// userIDSQL is the id of seeded user u (a pgbench expression) in SQL.
func userIDSQL(u string) string {
	return "('00000000-0000-4000-a000-' || lpad(to_hex((" + u + ")::int), 12, '0'))::uuid"
}

// params replaces q's $1, $2, ... by the SQL expressions given, last first (so that $1
// does not eat $10), on one line, as a pgbench script needs.
func params(q string, exprs ...string) string {
	q = oneLine(q)
	for i := len(exprs); i >= 1; i-- {
		q = strings.ReplaceAll(q, fmt.Sprintf("$%d", i), exprs[i-1])
	}
	return q
}

// oneLine joins a statement's lines: pgbench reads a statement up to its semicolon, but
// a backslash command ends at the line's end, and the app's SQL has no comments.
func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }
