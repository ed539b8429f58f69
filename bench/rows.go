package main

import "fmt"

// Open-loop DELETE rows: revocations at a steady rate (as people send them, not as fast as
// 32 connections can), each timed from when it was sent. A closed loop at 32 connections
// measures a saturated machine: there the latency is 32 / throughput, whatever one request
// costs alone.
var openLoopRates = []int{200, 1000}

// deleteFirst is where each DELETE row starts in every deleter's sessions (0..perDeleter-1),
// so that no row revokes a session another already ended: c=32, c=4, then openLoopRates.
var deleteFirst = [...]int{0, 2500, 4000, 4500}

// rowSpec is one row of the table: its load, whether GETs warm the caches first (2 s), and
// the SQL pgbench runs for its ceiling with ceilingConns clients (0: the configured count;
// "": no SQL to compare with).
type rowSpec struct {
	name         string
	send         load
	warm         bool
	ceiling      string
	ceilingConns int
}

// smallRows are measured with 10,000 sessions stored: the floor, then the reads.
func (b *bencher) smallRows() []rowSpec {
	ceiling := b.listCeilingSQL(token(0, "0"))
	return []rowSpec{
		// What this machine's cores give an answer that does no work at all.
		{name: "GET /healthz · no database, no work (the machine's floor)", send: b.wrk(healthzScript, 0), warm: true},
		{name: "GET /api/auth/sessions/ · 10k stored", send: b.wrk(listScript("/api/auth/sessions/", browserEncoding), 0), warm: true, ceiling: ceiling},
		// A client that takes no gzip gets the list as it is.
		{name: "GET /api/auth/sessions/ · 10k stored · no Accept-Encoding", send: b.wrk(listScript("/api/auth/sessions/", ""), 0), warm: true, ceiling: ceiling},
		{name: "GET /app/settings/security · 10k stored", send: b.wrk(listScript("/app/settings/security", browserEncoding), 0), warm: true, ceiling: ceiling},
	}
}

// largeRows are measured with 1,000,000 sessions stored: the reads again, then DELETE rows,
// each revoking its own range of the deleters' sessions (deleteFirst).
func (b *bencher) largeRows() []rowSpec {
	list, del := b.listCeilingSQL(token(0, "0")), b.deleteCeilingSQL()
	specs := []rowSpec{
		{name: "GET /api/auth/sessions/ · 1M stored", send: b.wrk(listScript("/api/auth/sessions/", browserEncoding), 0), warm: true, ceiling: list},
		{name: "GET /app/settings/security · 1M stored", send: b.wrk(listScript("/app/settings/security", browserEncoding), 0), warm: true, ceiling: list},
		{name: "DELETE /api/auth/sessions/<id>/ · 1M stored", send: b.wrk(deleteScript(deleteFirst[0]), 0), ceiling: del},
		// Latency when the database is not saturated.
		{name: "DELETE /api/auth/sessions/<id>/ · 1M stored · c=4", send: b.wrk(deleteScript(deleteFirst[1]), 4), ceiling: del, ceilingConns: 4},
	}
	for i, rate := range openLoopRates {
		specs = append(specs, rowSpec{
			name: fmt.Sprintf("DELETE /api/auth/sessions/<id>/ · 1M stored · %d/s open loop", rate),
			send: b.openLoop(deleteTargeter(b.app.base, deleteFirst[2+i]), rate)})
	}
	return specs
}
