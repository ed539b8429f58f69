package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkExportPeakRSS downloads the JSON and CSV exports of a person with 10,000 and
// 100,000 security events over a real socket and reports the process's peak resident
// memory during the download (VmHWM, reset just before it) above what it held before: flat
// memory means the two sizes cost the same. `go test -run X -bench ExportPeakRSS -benchtime 1x ./handlers/`.
func BenchmarkExportPeakRSS(b *testing.B) {
	for _, events := range []int{10_000, 100_000} {
		for _, format := range []string{"json", "csv"} {
			b.Run(fmt.Sprintf("events=%d/%s", events, format), func(b *testing.B) {
				e := newEnv(b)
				person := e.client(uaFirefoxWin)
				person.signUp("person@example.com")
				u, err := e.store.UserByEmail(context.Background(), "person@example.com")
				if err != nil {
					b.Fatal(err)
				}
				for from := 1; from <= events; from += 5000 { // in batches: each within the statement timeout
					if _, err := e.store.DB().Exec(`
						INSERT INTO audit_events (user_id, type, ip, device_label, created_at, details)
						SELECT $1, 'sign_in_failed', '203.0.113.' || (n % 250), 'Firefox on Windows', now() - n * interval '1 second',
							jsonb_build_object('browser', 'Firefox', 'os', 'Windows')
						FROM generate_series($2::int, $3::int) n`, u.ID, from, min(from+4999, events)); err != nil {
						b.Fatal(err)
					}
				}
				e.base, e.http = e.serve(), http.DefaultClient
				var cookie string
				for name, value := range person.cookies {
					cookie += name + "=" + value + "; "
				}
				b.ResetTimer()
				var peak, size int64
				for b.Loop() {
					runtime.GC()
					before := resetPeakRSS(b)
					req, _ := http.NewRequest("GET", e.base+"/app/settings/security/export?format="+format, nil)
					req.Header.Set("Cookie", cookie)
					req.Header.Set("User-Agent", uaFirefoxWin)
					resp, err := http.DefaultClient.Do(req)
					if err != nil || resp.StatusCode != 200 {
						b.Fatalf("export: %v %v", err, resp)
					}
					size, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					peak = max(peak, procStatus(b, "VmHWM")-before)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB-above-start")
				b.ReportMetric(float64(size)/(1<<20), "file-MB")
			})
		}
	}
}

// resetPeakRSS resets the process's VmHWM to its current resident size and returns it.
func resetPeakRSS(b *testing.B) int64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset VmHWM: %v", err)
	}
	return procStatus(b, "VmRSS")
}

// procStatus is a /proc/self/status size in bytes ("VmHWM", "VmRSS").
func procStatus(b *testing.B, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
