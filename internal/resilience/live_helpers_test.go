package resilience_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// sseEvent is one named event of a live stream.
type sseEvent struct {
	name, data string
	at         time.Time
}

// liveStream is an open GET /app/settings/security/events, read in the background.
type liveStream struct {
	status int
	events chan sseEvent // closed when the stream ends
	cancel context.CancelFunc
}

// openStream opens a stream with token's cookie; lastEventID set makes it a reconnect.
func openStream(t *testing.T, url, token, lastEventID string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/app/settings/security/events", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: token})
	req.Header.Set("Accept", "text/html, text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req) // no timeout: a stream stays open
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	s := &liveStream{status: resp.StatusCode, events: make(chan sseEvent, 64), cancel: cancel}
	go func() {
		defer close(s.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.at = time.Now()
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return s
}

// next waits up to d for the stream's next event named one of names (others are skipped);
// ok is false when it did not come, or the stream ended first.
func (s *liveStream) next(d time.Duration, names ...string) (sseEvent, bool) {
	deadline := time.After(d)
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				return sseEvent{}, false
			}
			for _, n := range names {
				if ev.name == n {
					return ev, true
				}
			}
		case <-deadline:
			return sseEvent{}, false
		}
	}
}

// ended reports whether the stream closes within d (events before the end are skipped).
func (s *liveStream) ended(d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case _, open := <-s.events:
			if !open {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// twoInstances starts two apps on one database, as behind a load balancer.
func twoInstances(t *testing.T, opt testserver.Options) (a, b *testserver.Server) {
	t.Helper()
	a = testserver.Start(t, opt)
	opt.DSN = a.DSN
	return a, testserver.Start(t, opt)
}
