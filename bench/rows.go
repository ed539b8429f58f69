package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// rowSpec is one row of the table: the part of the bench it belongs to (-rows), the
// server it loads (nil: the app), its load (a wrk script at conns connections, 0: the
// configured count; or send, for open-loop rows), whether GETs warm up first (2 s), the SQL
// pgbench runs for its ceiling with ceilingConns clients (0: the configured count; "": no
// SQL to compare with), and the name of our row it is compared with (versus).
type rowSpec struct {
	name         string
	group        string
	on           *target
	versus       string
	script       string
	conns        int
	send         load
	warm         bool
	ceiling      string
	ceilingConns int
	profile      bool          // -profile: take the app's CPU profile and PostgreSQL's statement timings
	build        string        // -compare: which build it loads ("A", "B"; "": the only one)
	duration     time.Duration // 0: the configured -d
}

// allGroups are the parts -rows selects: the table's row groups, then the reports after it.
var allGroups = []string{"floor", "best", "check", "list", "betterauth", "page", "revoke", "signin", "openloop", "live", "geo", "signup"}

// rowGroups is the -rows flag: the parts to run (none given: all).
type rowGroups map[string]bool

func (g rowGroups) String() string { return strings.Join(slices.Sorted(maps.Keys(g)), ",") }

func (g *rowGroups) Set(v string) error {
	*g = rowGroups{}
	for _, name := range strings.Split(v, ",") {
		if !slices.Contains(allGroups, name) {
			return fmt.Errorf("unknown part %q (parts: %s)", name, strings.Join(allGroups, ","))
		}
		(*g)[name] = true
	}
	return nil
}

// want is whether the part runs.
func (g rowGroups) want(name string) bool { return len(g) == 0 || g[name] }

// The paths of the rows.
const (
	checkPath = "/api/users/me/current-session"
	listPath  = "/api/auth/sessions"
	pagePath  = "/app/settings/security"
)

// noEncoding ends the name of a row whose client sends no Accept-Encoding, as curl does.
const noEncoding = " · no Accept-Encoding"

// floorRowName is the row of an answer that does no work at all.
const floorRowName = "GET /healthz · no database, no work (the machine's floor)"

// openLoopRate is the revocation row's rate: revocations as people send them, each timed
// from when it was sent. A closed loop at 32 connections measures a saturated machine,
// where the latency is 32 / throughput whatever one request costs alone.
const openLoopRate = 200

// rows are the table: the machine's floor, the best case (one user, its 50 cookies, every
// cache warm), then each random-user row uniform and Zipf, revocations and sign-in.
func (b *bencher) rows() []rowSpec {
	specs := []rowSpec{
		// What this machine's cores give an answer that does no work at all.
		{name: floorRowName, group: "floor", script: healthzScript, warm: true},
		{name: "best case · session check · one user, its 50 cookies", group: "best", script: listScript(checkPath, ""), warm: true},
		{name: "best case · list · one user, its 50 cookies", group: "best", script: listScript(listPath, browserEncoding), warm: true},
		{name: "best case · page · one user, its 50 cookies", group: "best", script: listScript(pagePath, browserEncoding), warm: true},
	}
	for _, zipf := range []bool{false, true} {
		mix := "uniform"
		if zipf {
			mix = fmt.Sprintf("Zipf s=%g", zipfS)
		}
		list := "list · random 50-session user, " + mix
		listCeiling := pickSQL(b.sets.list, zipf) + checkCeilingSQL + listCeilingSQL
		specs = append(specs,
			rowSpec{name: "session check · random user, " + mix, group: "check", warm: true, profile: true,
				script:  randomScript(b.tokens.everyone, checkPath, zipf, ""),
				ceiling: pickSQL(b.sets.everyone, zipf) + checkCeilingSQL},
			rowSpec{name: list, group: "list", warm: true, profile: true,
				script:  randomScript(b.tokens.list, listPath, zipf, browserEncoding),
				ceiling: listCeiling},
		)
		// The list as a client that takes no gzip asks for it: what compression costs the
		// list against the same ceiling.
		specs = append(specs, rowSpec{name: list + noEncoding, group: "list", warm: true,
			script:  randomScript(b.tokens.list, listPath, zipf, ""),
			ceiling: listCeiling})
		if b.listFloor != nil { // bench/listfloor.go: the same users, the same pick, the same ceiling
			specs = append(specs, rowSpec{name: listFloorName(mix),
				group: "list", on: &b.listFloor.on, versus: list, warm: true,
				script:  randomScript(b.tokens.list, listPath, zipf, ""),
				ceiling: listCeiling})
		}
		if b.betterAuth != nil { // bench/betterauth.go: the same users, the same pick
			specs = append(specs, rowSpec{name: "better-auth · list-sessions · random 50-session user, " + mix,
				group: "betterauth", on: &b.betterAuth.on, versus: list, warm: true,
				script: randomScript(b.tokens.betterAuth, betterAuthListPath, zipf, browserEncoding)})
		}
		specs = append(specs,
			rowSpec{name: "page · random 50-session user, " + mix, group: "page", warm: true, profile: true,
				script: randomScript(b.tokens.list, pagePath, zipf, browserEncoding)},
			rowSpec{name: "page · random 50-session user, " + mix + noEncoding, group: "page", warm: true,
				script: randomScript(b.tokens.list, pagePath, zipf, "")},
		)
	}
	specs = append(specs,
		rowSpec{name: fmt.Sprintf("revoke (DELETE) · %d/s open loop", openLoopRate), group: "revoke",
			send: b.openLoop(deleteTargeter(b.app.base, 0), openLoopRate), ceiling: deleteCeilingSQL()},
		rowSpec{name: "sign-in (argon2id) · c=4", group: "signin", script: signInScript, conns: 4},
	)
	return slices.DeleteFunc(specs, func(s rowSpec) bool { return !b.cfg.only.want(s.group) })
}

// scriptName is a row's name as a file name.
func scriptName(name string) string {
	return strings.NewReplacer(" ", "_", "/", "_", "·", "", ",", "", "=", "", "'", "").Replace(name)
}
