package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// printReport prints the machine and the table in Markdown, ready for BENCHMARKS.md.
func printReport(cfg benchConfig, rows []result, stored int, idleRSS int64) {
	fmt.Printf("Machine: %s\n\n", machine())
	fmt.Printf("Load average when the table was printed (1/5/15 min; other work on the machine depresses every figure): %s\n\n", loadavg())
	fmt.Printf("wrk -t%d -c%d -d%s per row unless the row names another -c or a rate (open loop: vegeta sends that many requests a second; req/s is what was answered); a 2 s warm-up before GET rows; pgbench -M prepared -c%d -j%d -T%d on the same cluster for the ceiling. Sessions stored at the end: %d. App RSS idle after start: %.1f MB.\n\n",
		cfg.threads, cfg.conns, cfg.duration, cfg.conns, cfg.threads, int(cfg.duration.Seconds()), stored, mb(idleRSS))
	if cfg.sharedBuffers != "" {
		fmt.Printf("The throwaway PostgreSQL runs with %s (a quarter of RAM).\n\n", cfg.sharedBuffers)
	}
	fmt.Println("| row | req/s | p50 | p99 | errors | peak RSS | DB round trips/req | PostgreSQL ceiling (tps) | app / ceiling |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		ceiling, ratio := "—", "—" // a row with no SQL to compare with
		if r.Ceiling > 0 {
			ceiling, ratio = fmt.Sprintf("%.0f", r.Ceiling), fmt.Sprintf("%.2f", r.RPS/r.Ceiling)
		}
		trips := "—" // a server that does not count them (better-auth)
		if r.Trips >= 0 {
			trips = fmt.Sprintf("%.2f", r.Trips)
		}
		fmt.Printf("| %s | %.0f | %s | %s | %d | %.1f MB | %s | %s | %s |\n",
			r.Name, r.RPS, ms(r.P50), ms(r.P99), r.Errors, mb(r.RSS), trips, ceiling, ratio)
	}
	printComparisons(rows)
}

// printComparisons prints, for each row compared with one of ours (better-auth's), our
// req/s over its req/s, and both p99s.
func printComparisons(rows []result) {
	header := false
	for _, theirs := range rows {
		i := slices.IndexFunc(rows, func(r result) bool { return theirs.Versus != "" && r.Name == theirs.Versus })
		if i < 0 || theirs.RPS == 0 {
			continue
		}
		if !header {
			fmt.Println("\n| ours | req/s, p99 | theirs | req/s, p99 | ours / theirs (req/s) |\n|---|---:|---|---:|---:|")
			header = true
		}
		ours := rows[i]
		fmt.Printf("| %s | %.0f, %s | %s | %.0f, %s | %.2f× |\n", ours.Name, ours.RPS, ms(ours.P99), theirs.Name, theirs.RPS, ms(theirs.P99), ours.RPS/theirs.RPS)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// machine describes the CPU, memory, kernel and versions the numbers come from.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf("%.0f GB RAM", float64(kb)/(1<<20))
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	pg, _ := exec.Command("sh", "-c", "ls /usr/lib/postgresql | sort -n | tail -1").Output()
	wrk, _ := exec.Command("sh", "-c", "wrk -v 2>&1 | head -1").Output()
	return fmt.Sprintf("%d × %s, %s, Linux %s, %s, PostgreSQL %s, %s (app, PostgreSQL and load generators share the cores)",
		runtime.NumCPU(), cpu, mem, strings.TrimSpace(string(kernel)), runtime.Version(),
		strings.TrimSpace(string(pg)), strings.Fields(string(wrk) + " wrk ?")[0]+" "+strings.Fields(string(wrk) + " ? ?")[1])
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// printOpenLoop prints the open-loop rows: latencies from each request's scheduled send
// time (bench/openloop.go), so a stalled server shows in them. Then the searches' probes
// around the highest rate that meets the goal, where the rate at 50 % did not.
func printOpenLoop(rows []result, limits []openLoopLimit) {
	if len(rows) == 0 {
		return
	}
	header := "| row | answered req/s | p50 | p99 | p99.9 | errors | app CPU per answer | vegeta's CPU per request | cores busy (of the machine's) | vegeta late by, at most |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	fmt.Println("\n## Open loop (vegeta, constant rate, latency from the scheduled send time)\n\n" + header)
	for _, r := range rows {
		printOpenLoopRow(r)
	}
	if len(limits) == 0 {
		return
	}
	fmt.Println("\n### Where the rate at 50 % missed its goal: the highest rate that meets it here\n\n" +
		"The last probe that held and the lowest that did not, of a bisection below the 50 % rate (where every probe held, the one that did not is the 50 % row above).\n\n" + header)
	for _, l := range limits {
		for _, r := range []*result{l.met, l.missed} {
			if r != nil {
				printOpenLoopRow(*r)
			}
		}
	}
}

func printOpenLoopRow(r result) {
	fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %s | %s | %.2f of %d | %s |\n", strings.TrimPrefix(r.Name, "open loop · "), r.RPS,
		ms(r.P50), ms(r.P99), ms(r.P999), r.Errors, us(r.CPU), us(r.GenCPU), r.BusyCores, runtime.NumCPU(), ms(r.SendLag))
}
