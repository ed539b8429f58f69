package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Where the app's CPU goes (-profile DIR): a CPU profile taken from the app's
// /debug/pprof/profile while a row runs, saved in DIR, and its samples put in buckets.
//
// A sample is the call stack of one 10 ms tick of CPU. Its bucket is found in two steps:
//  1. a stack with auth's session check in it (Service.Authenticate: the token lookup, its
//     batching, the last-seen write, with their driver work and system calls) is the
//     session check, whatever its leaf;
//  2. otherwise the frames are read from the leaf towards the root, and the first frame that
//     matches one of the kinds below decides (so a memmove inside a template counts as the
//     template, and an allocation inside a row as allocation);
//  3. a stack that matches none is "runtime, scheduler" if it has a runtime frame, else "other".
//
// The kinds, in the order a frame is tested against them:
var cpuBuckets = []struct {
	name    string
	pattern *regexp.Regexp
}{
	{"GC and allocation", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|gcDrain\w*|scanobject|scanblock|scanstack|greyobject|markroot\w*|gcAssistAlloc\w*|bgsweep|sweepone|bgscavenge|mallocgc\w*|newobject|newarray|makeslice\w*|growslice|gcWriteBarrier\w*|wbBuf\w*|gcStart|gcMarkDone|gcMarkTermination)$`)},
	{"compression", regexp.MustCompile(`^(compress/|github\.com/klauspost/compress/|github\.com/andybalholm/brotli)`)},
	{"escaping", regexp.MustCompile(`^(html/template\.(\w*[Ee]scaper|htmlReplacer|urlProcessor|urlNormalizer|stringify|indirectToStringerOrError)|html\.EscapeString|text/template\.(HTML|JS)Escape\w*|github\.com/docodego/sessions/handlers\.escape\w*)$`)},
	{"network, system calls", regexp.MustCompile(`^(syscall\.|internal/poll\.|net\.|runtime\.netpoll\w*|internal/runtime/syscall\.|runtime/internal/syscall\.)`)},
	{"template execution", regexp.MustCompile(`^(text|html)/template\.`)},
	{"row building (rows, JSON written in Go)", regexp.MustCompile(`^github\.com/docodego/sessions/handlers\.(\(\*?\w+\)\.)?(write\w*|\w*[Rr]ows|rowsHTML|tag|appendJSON\w*|build\w*Table\w*)$`)},
	{"SQL client (driver, scanning)", regexp.MustCompile(`^(github\.com/lib/pq|database/sql|github\.com/jmoiron/sqlx|github\.com/docodego/sessions/db)[./]`)},
	{"localisation", regexp.MustCompile(`^(github\.com/docodego/sessions/locale|github\.com/nicksnyder/go-i18n)[./]`)},
	{"HTTP server (fiber, fasthttp)", regexp.MustCompile(`^github\.com/(gofiber/fiber|valyala/fasthttp)[./]`)},
}

const (
	bucketSessionCheck = "session check (auth.Authenticate and all under it)"
	bucketRuntime      = "runtime, scheduler"
	bucketOther        = "other (handlers, metrics, …)"
)

var sessionCheckFrame = regexp.MustCompile(`^github\.com/docodego/sessions/auth\.\(\*Service\)\.Authenticate$`)

// bucketNames are every bucket in the order the table prints them.
func bucketNames() []string {
	names := []string{bucketSessionCheck}
	for _, b := range cpuBuckets {
		names = append(names, b.name)
	}
	return append(names, bucketRuntime, bucketOther)
}

// bucketOf is the bucket of a stack of function names, leaf first.
func bucketOf(stack []string) string {
	for _, fn := range stack {
		if sessionCheckFrame.MatchString(fn) {
			return bucketSessionCheck
		}
	}
	for _, fn := range stack {
		for _, b := range cpuBuckets {
			if b.pattern.MatchString(fn) {
				return b.name
			}
		}
	}
	for _, fn := range stack {
		if strings.HasPrefix(fn, "runtime.") {
			return bucketRuntime
		}
	}
	return bucketOther
}

// cpuBreakdown is a profile's CPU time by bucket.
type cpuBreakdown struct {
	total   time.Duration
	buckets map[string]time.Duration
	window  time.Duration // how long the profile ran
}

// breakdownOf buckets the samples of a parsed CPU profile.
func breakdownOf(p *profile.Profile) (cpuBreakdown, error) {
	idx := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" && t.Unit == "nanoseconds" })
	if idx < 0 {
		return cpuBreakdown{}, fmt.Errorf("not a CPU profile (no cpu/nanoseconds sample type)")
	}
	b := cpuBreakdown{buckets: map[string]time.Duration{}, window: time.Duration(p.DurationNanos)}
	var stack []string
	for _, s := range p.Sample {
		stack = stack[:0]
		for _, loc := range s.Location { // leaf first
			for _, line := range loc.Line { // inlined calls first, as pprof lists them
				if line.Function != nil {
					stack = append(stack, line.Function.Name)
				}
			}
		}
		d := time.Duration(s.Value[idx])
		b.buckets[bucketOf(stack)] += d
		b.total += d
	}
	return b, nil
}

// profileDuring fetches a CPU profile of seconds from the app's metrics listener into
// path, and returns what it took; run it beside the row's load.
func profileDuring(ctx context.Context, metricsURL, path string, seconds int) (cpuBreakdown, error) {
	base := strings.TrimSuffix(metricsURL, "/metrics")
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, seconds), nil)
	if err != nil {
		return cpuBreakdown{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return cpuBreakdown{}, fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return cpuBreakdown{}, fmt.Errorf("cpu profile: %d %v: %.200s", resp.StatusCode, err, body)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return cpuBreakdown{}, err
	}
	p, err := profile.ParseData(body)
	if err != nil {
		return cpuBreakdown{}, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return breakdownOf(p)
}

// profilePath is where a row's profile goes in dir.
func profilePath(dir, row, build string) string {
	if build != "" {
		row += "." + build
	}
	return filepath.Join(dir, scriptName(row)+".pprof")
}
