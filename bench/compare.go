package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// -compare REV: the working tree's build (A) and REV's (B); -cache-off NAME: the working
// tree's and the same with one cache turned off (B, cacheOffDir). Both run against the one
// seeded cluster, measured on the random-user check, list and page rows in turn, A B then
// B A, so that a drift of the machine during the run falls on both. B runs the schema A
// migrated to (its own migrations find nothing to do when REV is older).

// compareRounds is how many times each build runs each row.
const compareRounds = 2

// buildRevision builds the app at rev from a `git archive` of it into dir.
func buildRevision(ctx context.Context, rev, dir string) (bin, label string, err error) {
	short, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", rev).Output()
	if err != nil {
		return "", "", fmt.Errorf("-compare %s: not a revision here: %w", rev, err)
	}
	label = strings.TrimSpace(string(short))
	bin, err = buildSource(ctx, dir, label, `git archive --format=tar "$2" | tar -x -C "$1"`, rev)
	return bin, label, err
}

// cacheOffDir holds one patch per cache (-cache-off NAME: NAME.patch), each turning that
// cache off in the working tree; TestCacheOffPatchesApply keeps them applying.
const cacheOffDir = "bench/cacheoff"

// buildWithoutCache builds the working tree (tracked and untracked files, not ignored
// ones) with cacheOffDir/name.patch applied, in dir.
func buildWithoutCache(ctx context.Context, name, dir string) (bin, label string, err error) {
	patch, err := filepath.Abs(filepath.Join(cacheOffDir, name+".patch"))
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(patch); err != nil {
		return "", "", fmt.Errorf("-cache-off %s: no %s", name, patch)
	}
	label = "cache-off-" + name
	bin, err = buildSource(ctx, dir, label,
		`git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -x -C "$1" && cd "$1" && git apply "$2"`, patch)
	return bin, label, err
}

// buildSource fills dir/label with the sources script writes there (sh, $1 the folder,
// $2 arg) and builds them into dir/sessions-label.
func buildSource(ctx context.Context, dir, label, script, arg string) (string, error) {
	src := filepath.Join(dir, label)
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, "sh", "-c", script, "sh", src, arg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("sources of %s: %w\n%s", label, err, out)
	}
	bin := filepath.Join(dir, "sessions-"+label)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of %s: %w\n%s", label, err, out)
	}
	return bin, nil
}

// otherBuild is a build measured beside the working tree's.
type otherBuild struct{ bin, label string }

// otherBuilds builds what -compare and -cache-off name.
func otherBuilds(ctx context.Context, cfg benchConfig, dir string) ([]otherBuild, error) {
	var out []otherBuild
	if cfg.compare != "" {
		logf("building %s for -compare", cfg.compare)
		bin, label, err := buildRevision(ctx, cfg.compare, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, otherBuild{bin, label})
	}
	if cfg.cacheOff != "" {
		for _, name := range strings.Split(cfg.cacheOff, ",") {
			logf("building with %s off for -cache-off", name)
			bin, label, err := buildWithoutCache(ctx, name, dir)
			if err != nil {
				return nil, err
			}
			out = append(out, otherBuild{bin, label})
		}
	}
	return out, nil
}

// compareBuilds starts the other build (bin, named label) beside the running one and
// measures both.
func (b *bencher) compareBuilds(ctx context.Context, bin, label, dsn string) ([]result, error) {
	other, err := startApp(ctx, bin, dsn, filepath.Join(b.dir, "app-"+label))
	if err != nil {
		return nil, err
	}
	defer other.stop()
	builds := []struct {
		label string
		on    target
	}{
		{"A (this tree)", b.target(rowSpec{})},
		{"B (" + label + ")", target{base: other.base, metrics: other.metrics, pid: other.cmd.Process.Pid}},
	}
	var specs []rowSpec
	for _, s := range b.rows() {
		if s.profile && !strings.Contains(s.name, "Zipf") {
			s.ceiling = ""
			specs = append(specs, s)
		}
	}
	var rows []result
	for round := range compareRounds {
		for _, spec := range specs {
			order := []int{0, 1}
			if round%2 == 1 {
				order = []int{1, 0}
			}
			for _, i := range order {
				s := spec
				s.on, s.build = &builds[i].on, fmt.Sprintf("%s-%c%d", label, 'A'+i, round+1)
				s.name = fmt.Sprintf("%s · %s", spec.name, builds[i].label)
				r, err := b.measure(ctx, s)
				if err != nil {
					return rows, err
				}
				r.Versus = spec.name + " · against " + label // groups the row with its twin
				rows = append(rows, r)
			}
		}
	}
	return rows, nil
}

// printComparison prints each compared row's builds side by side, every round, and, when
// profiled, their CPU buckets averaged over the rounds.
func printComparison(rows []result) {
	if len(rows) == 0 {
		return
	}
	fmt.Println("\n## Two builds, one cluster (-compare)\n\n| row | build | req/s (each round) | p99 (each round) | app CPU per answer (each round) |\n|---|---|---:|---:|---:|")
	var names []string
	for _, r := range rows {
		if !slices.Contains(names, r.Versus) {
			names = append(names, r.Versus)
		}
	}
	for _, name := range names {
		for _, build := range []string{"A", "B"} {
			var rps, p99, cpu []string
			var label string
			for _, r := range rows {
				if r.Versus == name && buildOf(r) == build {
					label = r.Name[strings.LastIndex(r.Name, " · ")+len(" · "):]
					rps = append(rps, fmt.Sprintf("%.0f", r.RPS))
					p99, cpu = append(p99, ms(r.P99)), append(cpu, us(r.CPU))
				}
			}
			fmt.Printf("| %s | %s | %s | %s | %s |\n", name, label, strings.Join(rps, " · "), strings.Join(p99, " · "), strings.Join(cpu, " · "))
		}
	}
	for _, name := range names {
		sum := map[string]map[string]float64{"A": {}, "B": {}}
		n := map[string]int{}
		for _, r := range rows {
			if r.Versus != name || r.Profile == nil {
				continue
			}
			build := buildOf(r)
			n[build]++
			for bucket, d := range r.Profile.buckets {
				sum[build][bucket] += perAnswer(d, r, r.Profile.window)
			}
			sum[build]["PostgreSQL statements (server)"] += float64(sqlTotal(r.Statements)) / float64(time.Microsecond) / float64(r.Requests)
		}
		if n["A"] == 0 || n["B"] == 0 {
			continue
		}
		fmt.Printf("\n| %s: µs per answer, mean of the rounds | A | B | B − A |\n|---|---:|---:|---:|\n", name)
		for _, bucket := range append([]string{"PostgreSQL statements (server)"}, bucketNames()...) {
			a, b := sum["A"][bucket]/float64(n["A"]), sum["B"][bucket]/float64(n["B"])
			fmt.Printf("| %s | %.1f | %.1f | %+.1f |\n", bucket, a, b, b-a)
		}
	}
}

// buildOf is "A" or "B", from a compared row's name.
func buildOf(r result) string {
	if strings.HasSuffix(r.Name, "· A (this tree)") {
		return "A"
	}
	return "B"
}
