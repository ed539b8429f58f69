package main

import (
	"strings"
	"testing"
	"time"
)

// TestTheFloorsAreBesideTheirGoals: the list's goal names the list floor's share of its
// ceiling and both CPU costs, and the list's without gzip; the check's names the machine
// floor's p99; and neither floor changes a verdict.
func TestTheFloorsAreBesideTheirGoals(t *testing.T) {
	rows := []result{
		{Name: floorRowName, P99: 6 * time.Millisecond},
		{Name: "session check · random user, uniform", P99: 4 * time.Millisecond},
		{Name: "list · random 50-session user, uniform", RPS: 2000, Ceiling: 5000, CPU: 450 * time.Microsecond},
		{Name: listFloorName("uniform"), RPS: 3100, Ceiling: 5000, CPU: 250 * time.Microsecond},
		{Name: "list · random 50-session user, uniform" + noEncoding, RPS: 2600, Ceiling: 4900, CPU: 350 * time.Microsecond},
	}
	got := map[string]goal{}
	for _, g := range goals(rows, nil, -1) {
		got[g.name] = g
	}
	list := got["list ≥ 0.6 × its PostgreSQL ceiling, uniform"]
	if list.met != "**no**" || !strings.HasPrefix(list.measured, "2000 / 5000 = 0.40; the floor") ||
		!strings.Contains(list.measured, "3100 / 5000 = 0.62, 250 µs of CPU an answer against the list's 450 µs") ||
		!strings.HasSuffix(list.measured, "; without gzip (a client that sends no Accept-Encoding): 2600 / 4900 = 0.53, 350 µs of CPU an answer") {
		t.Errorf("list goal = %+v", list)
	}
	check := got["session check p99 ≤ 5 ms, uniform"]
	if check.met != "**yes**" || check.measured != "4.00 ms; the machine's floor (GET /healthz, no work) in this run: p99 6.00 ms" {
		t.Errorf("check goal = %+v", check)
	}
	if len(got) != 2 {
		t.Errorf("goals = %v, want the list's and the check's only (the floors are not goals)", got)
	}
}
