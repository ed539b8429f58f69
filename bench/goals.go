package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The goals of issue 28 (random-user mix, c=32, one run), checked against this run's rows.

// goal is one line of the goals table: what was measured, and whether it holds ("": not
// measured in this run).
type goal struct{ name, measured, met string }

func yesNo(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}

// goals checks every goal the run has rows for; limits are what the open loop's searches
// found (openloop_limit.go); pageBytes < 0: not measured.
func goals(rows []result, limits []openLoopLimit, pageBytes int) []goal {
	find := func(name string) (result, bool) {
		i := slices.IndexFunc(rows, func(r result) bool { return r.Name == name })
		if i < 0 {
			return result{}, false
		}
		return rows[i], true
	}
	var out []goal
	for _, mix := range []string{"uniform", fmt.Sprintf("Zipf s=%g", zipfS)} {
		page, okP := find("page · random 50-session user, " + mix)
		list, okL := find("list · random 50-session user, " + mix)
		check, okC := find("session check · random user, " + mix)
		if okP && okL && list.RPS > 0 {
			ratio := page.RPS / list.RPS
			out = append(out, goal{"page ≥ 0.5 × list req/s, " + mix, fmt.Sprintf("%.0f / %.0f = %.2f", page.RPS, list.RPS, ratio), yesNo(ratio >= 0.5)})
		}
		if okP {
			out = append(out, goal{"page p99 ≤ 30 ms, " + mix, ms(page.P99), yesNo(page.P99 <= 30*time.Millisecond)})
		}
		if okL && list.Ceiling > 0 {
			ratio := list.RPS / list.Ceiling
			measured := fmt.Sprintf("%.0f / %.0f = %.2f", list.RPS, list.Ceiling, ratio)
			if floor, ok := find(listFloorName(mix)); ok && floor.Ceiling > 0 {
				measured += fmt.Sprintf("; the floor (the same statements behind HTTP, answering only the count): %.0f / %.0f = %.2f, %s of CPU an answer against the list's %s",
					floor.RPS, floor.Ceiling, floor.RPS/floor.Ceiling, us(floor.CPU), us(list.CPU))
			}
			if plain, ok := find(list.Name + noEncoding); ok && plain.Ceiling > 0 {
				measured += fmt.Sprintf("; without gzip (a client that sends no Accept-Encoding): %.0f / %.0f = %.2f, %s of CPU an answer",
					plain.RPS, plain.Ceiling, plain.RPS/plain.Ceiling, us(plain.CPU))
			}
			out = append(out, goal{"list ≥ 0.6 × its PostgreSQL ceiling, " + mix, measured, yesNo(ratio >= 0.6)})
		}
		if okC {
			measured := ms(check.P99)
			if floor, ok := find(floorRowName); ok {
				measured += "; the machine's floor (GET /healthz, no work) in this run: p99 " + ms(floor.P99)
			}
			out = append(out, goal{"session check p99 ≤ 5 ms, " + mix, measured, yesNo(check.P99 <= 5*time.Millisecond)})
		}
	}
	if pageBytes >= 0 {
		out = append(out, goal{"page ≤ 40 KB for 50 sessions (a seeded 50-session user's page, uncompressed)",
			fmt.Sprintf("%d bytes", pageBytes), yesNo(pageBytes <= 40_000)})
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Name, "open loop · ") || !strings.Contains(r.Name, " 50 % of its max") {
			continue
		}
		endpoint, limit, ok := openLoopGoal(r.Versus)
		if !ok {
			continue
		}
		measured := fmt.Sprintf("%s, %d errors (%s)", ms(r.P99), r.Errors, strings.TrimPrefix(r.Name, "open loop · "))
		if i := slices.IndexFunc(limits, func(l openLoopLimit) bool { return l.closed == r.Versus }); i >= 0 {
			measured += "; " + limits[i].describe()
		}
		out = append(out, goal{fmt.Sprintf("open loop at 50 %%: %s p99 ≤ %s, 0 errors", endpoint, ms(limit)),
			measured, yesNo(meetsOpenLoopGoal(r, limit))})
	}
	return out
}

func printGoals(rows []result, limits []openLoopLimit, pageBytes int) {
	g := goals(rows, limits, pageBytes)
	if len(g) == 0 {
		return
	}
	fmt.Println("\n## Goals (issue 28), this run\n\n| goal | measured | met? |\n|---|---|---|")
	for _, l := range g {
		fmt.Printf("| %s | %s | %s |\n", l.name, l.measured, l.met)
	}
}

// pageSize is the bytes of list user 0's security page without compression.
func (b *bencher) pageSize(ctx context.Context) (int, error) {
	u := listUser(0)
	req, err := http.NewRequestWithContext(ctx, "GET", b.app.base+pagePath, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", appCookie+"="+appCookieValue(u, 0))
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("page size: %d %v", resp.StatusCode, err)
	}
	return len(body), nil
}
