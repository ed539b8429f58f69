package main

import (
	"fmt"
	"strings"
)

// rowSpec is one row of the table: its load (a wrk script at conns connections, 0: the
// configured count; or send, for open-loop rows), whether GETs warm up first (2 s), and the
// SQL pgbench runs for its ceiling with ceilingConns clients (0: the configured count; "":
// no SQL to compare with).
type rowSpec struct {
	name         string
	script       string
	conns        int
	send         load
	warm         bool
	ceiling      string
	ceilingConns int
}

// The paths of the rows.
const (
	checkPath = "/api/users/me/current-session"
	listPath  = "/api/auth/sessions"
	pagePath  = "/app/settings/security"
)

// openLoopRate is the revocation row's rate: revocations as people send them, each timed
// from when it was sent. A closed loop at 32 connections measures a saturated machine,
// where the latency is 32 / throughput whatever one request costs alone.
const openLoopRate = 200

// rows are the table: the machine's floor, the best case (one user, its 50 cookies, every
// cache warm), then each random-user row uniform and Zipf, revocations and sign-in.
func (b *bencher) rows() []rowSpec {
	specs := []rowSpec{
		// What this machine's cores give an answer that does no work at all.
		{name: "GET /healthz · no database, no work (the machine's floor)", script: healthzScript, warm: true},
		{name: "best case · session check · one user, its 50 cookies", script: listScript(checkPath, ""), warm: true},
		{name: "best case · list · one user, its 50 cookies", script: listScript(listPath, browserEncoding), warm: true},
		{name: "best case · page · one user, its 50 cookies", script: listScript(pagePath, browserEncoding), warm: true},
	}
	for _, zipf := range []bool{false, true} {
		mix := "uniform"
		if zipf {
			mix = fmt.Sprintf("Zipf s=%g", zipfS)
		}
		specs = append(specs,
			rowSpec{name: "session check · random user, " + mix, warm: true,
				script:  randomScript(b.tokens.everyone, checkPath, zipf, ""),
				ceiling: pickSQL(everyone, zipf) + checkCeilingSQL},
			rowSpec{name: "list · random 50-session user, " + mix, warm: true,
				script:  randomScript(b.tokens.list, listPath, zipf, browserEncoding),
				ceiling: pickSQL(listUsers, zipf) + checkCeilingSQL + listCeilingSQL},
			rowSpec{name: "page · random 50-session user, " + mix, warm: true,
				script: randomScript(b.tokens.list, pagePath, zipf, browserEncoding)},
			rowSpec{name: "page · random 50-session user, " + mix + " · no Accept-Encoding", warm: true,
				script: randomScript(b.tokens.list, pagePath, zipf, "")},
		)
	}
	specs = append(specs,
		rowSpec{name: fmt.Sprintf("revoke (DELETE) · %d/s open loop", openLoopRate),
			send: b.openLoop(deleteTargeter(b.app.base, 0), openLoopRate), ceiling: deleteCeilingSQL()},
		rowSpec{name: "sign-in (argon2id) · c=4", script: signInScript, conns: 4},
	)
	return specs
}

// scriptName is a row's name as a file name.
func scriptName(name string) string {
	return strings.NewReplacer(" ", "_", "/", "_", "·", "", ",", "", "=", "").Replace(name)
}
