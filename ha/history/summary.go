package history

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Summary is a fault run's figures.
type Summary struct {
	Requests int
	// Recovery is the time from the fault to the end of the first successful write that
	// started after the outage showed (the first failed request after the fault; writes
	// already in flight at the fault may still commit); zero if none did.
	Recovery time.Duration
	// FailedInWindow counts failed requests (no answer or 5xx) that ended between the fault
	// and the recovery, by status ("no answer" for none); FailedAfter those after it.
	FailedInWindow map[string]int
	FailedAfter    map[string]int
	// Max503 is the longest time a 503 took to answer; Slowest the longest any request
	// took, as the client timed it (what the checker's MaxLatency bounds).
	Max503, Slowest time.Duration
}

// Summarize computes the figures of events around a fault at faultAt.
func Summarize(events []Event, faultAt time.Time) Summary {
	s := Summary{FailedInWindow: map[string]int{}, FailedAfter: map[string]int{}}
	var recovered time.Time
	outage := faultAt
	for _, e := range events {
		// A 503 "busy" is the app shedding password hashes, not the outage.
		if e.Failed() && e.Code != "busy" && !e.End.Before(faultAt) && (outage.Equal(faultAt) || e.End.Before(outage)) {
			outage = e.End
		}
	}
	for _, e := range events {
		if e.Op == StreamOpen || e.Op == StreamEnded {
			continue
		}
		s.Requests++
		if e.Writes() && e.OK() && !e.Start.Before(outage) && (recovered.IsZero() || e.End.Before(recovered)) {
			recovered = e.End
		}
	}
	if !recovered.IsZero() {
		s.Recovery = recovered.Sub(faultAt)
	}
	for _, e := range events {
		if e.Op == StreamOpen || e.Op == StreamEnded {
			continue
		}
		took := e.End.Sub(e.Start)
		s.Slowest = max(s.Slowest, took)
		if e.Status == 503 {
			s.Max503 = max(s.Max503, took)
		}
		if !e.Failed() || e.End.Before(faultAt) {
			continue
		}
		code := fmt.Sprint(e.Status)
		if e.Status == 0 {
			code = "no answer"
		} else if e.Code != "" {
			code += " " + e.Code
		} else if e.Page {
			code += " page"
		}
		if recovered.IsZero() || !e.End.After(recovered) {
			s.FailedInWindow[code]++
		} else {
			s.FailedAfter[code]++
		}
	}
	return s
}

func (s Summary) String() string {
	return fmt.Sprintf("%d requests; first successful write %s after the fault; failed in the window: %s; failed after it: %s; slowest answer %s, slowest 503 %s",
		s.Requests, s.Recovery.Round(time.Millisecond), counts(s.FailedInWindow), counts(s.FailedAfter),
		s.Slowest.Round(time.Millisecond), s.Max503.Round(time.Millisecond))
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d x %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}
