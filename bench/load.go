package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// result is one row of the table.
type result struct {
	Name     string
	Requests int
	RPS      float64
	P50, P99 time.Duration
	Errors   int
	RSS      int64   // peak resident memory of the loaded server during the run, bytes
	Trips    float64 // database round trips per request (< 0: not counted)
	Ceiling  float64 // pgbench transactions/s of the same queries
	Versus   string  // the name of our row this one is compared with ("": none)
	// Only some rows have these.
	CPU        time.Duration // the loaded server's CPU (user + system) per answer (0: not read)
	P999       time.Duration // open-loop rows
	SendLag    time.Duration // open-loop rows: the most a request went out after its scheduled time
	GenCPU     time.Duration // open-loop rows: the load generator's own CPU per request sent
	BusyCores  float64       // the machine's cores busy on average over the row (app, PostgreSQL, load generator and all)
	Profile    *cpuBreakdown // -profile: where the app's CPU went
	Statements []stmtTiming  // -profile: PostgreSQL's statements over the row
}

// wrkRun runs wrk with a Lua script against base and parses its report.
func wrkRun(ctx context.Context, dir, base, name, script string, cfg benchConfig) (result, error) {
	path := filepath.Join(dir, scriptName(name)+".lua")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(cfg.threads), "-c", strconv.Itoa(cfg.conns),
		"-d", cfg.duration.String(), "--latency", "-s", path, base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", name, err, out)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", name, err, out)
	}
	r.Name = name
	if r.Errors > 0 { // say which: statuses or timeouts
		logf("  %s: %s", name, strings.Join(append(wrkNon2xx.FindAllString(string(out), 1), wrkSocketErr.FindAllString(string(out), 1)...), "; "))
	}
	return r, nil
}

var (
	wrkRPS       = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkTotal     = regexp.MustCompile(`(\d+) requests in`)
	wrkPct       = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkNon2xx    = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocketErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (result, error) {
	var r result
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in output")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Errors, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocketErr.FindStringSubmatch(out); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.Errors += n
		}
	}
	return r, nil
}

// bestCaseSessions is user 0's live sessions (liveSessions(0)).
const bestCaseSessions = 50

// listScript sends GETs to path as the bench user, rotating through its 50 session cookies.
// Each also carries its browser's device cookie, as a browser does after its first page, and
// Accept-Encoding as given (browserEncoding: what Chromium sends; "": none, as curl sends).
func listScript(path, acceptEncoding string) string {
	var b strings.Builder
	b.WriteString("local cookies = {\n")
	for j := range bestCaseSessions {
		fmt.Fprintf(&b, "  %q,\n", "session="+token(0, strconv.Itoa(j))+"; device="+deviceID(j))
	}
	encoding := ""
	if acceptEncoding != "" {
		encoding = fmt.Sprintf(`, ["Accept-Encoding"] = %q`, acceptEncoding)
	}
	fmt.Fprintf(&b, `}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", %q, {["Cookie"] = cookies[(i %% %d) + 1]%s})
end
`, path, bestCaseSessions, encoding)
	return b.String()
}

// browserEncoding is the Accept-Encoding Chromium sends.
const browserEncoding = "gzip, deflate, br, zstd"

// pgbenchRun measures the ceiling: the same SQL the app sends for one request, as one
// pgbench transaction, prepared, with the same client count, on the same cluster.
func pgbenchRun(ctx context.Context, dir, bin, host, dbname, name, script string, cfg benchConfig) (float64, error) {
	path := filepath.Join(dir, scriptName(name)+".sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), "-n", "-M", "prepared",
		"-c", strconv.Itoa(cfg.conns), "-j", strconv.Itoa(cfg.threads), "-T", strconv.Itoa(int(cfg.duration.Seconds())),
		"-f", path, "-h", host, "-p", "5432", "-U", "postgres", dbname)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench %s: %w\n%s", name, err, out)
	}
	m := regexp.MustCompile(`tps = ([\d.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("pgbench %s: no tps in output\n%s", name, out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// rssSampler records the peak resident memory of pid until stopped.
type rssSampler struct {
	peak atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v := rss(pid); v > s.peak.Load() {
				s.peak.Store(v)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) Stop() int64 {
	close(s.stop)
	<-s.done
	return s.peak.Load()
}

// rss reads VmRSS of pid in bytes.
func rss(pid int) int64 { return procStatus(pid, "VmRSS") }

// peakRSS reads VmHWM of pid in bytes: the most it was resident since it started.
func peakRSS(pid int) int64 { return procStatus(pid, "VmHWM") }

// procStatus reads a kB field of /proc/PID/status in bytes.
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// scrapeTrips reads the app's count of database round trips from metricsURL ("": a server
// without one, 0).
func scrapeTrips(metricsURL string) (float64, error) {
	if metricsURL == "" {
		return 0, nil
	}
	return scrape(metricsURL, "sessions_db_round_trips_total")
}

// scrape reads one counter from the app's /metrics.
func scrape(metricsURL, name string) (float64, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// healthzScript asks for /healthz: an answer that needs no database and does no work.
const healthzScript = `request = function() return wrk.format("GET", "/healthz") end
`
