package testserver

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Event is one named event of a live stream.
type Event struct {
	Name, Data string
	At         time.Time
}

// Stream is an open GET /app/settings/security/events, read in the background, as the
// page's SSE extension would hold it.
type Stream struct {
	Status int
	Header http.Header
	events chan Event // closed when the stream ends
}

// OpenStream opens a stream at base with the session cookie token; lastEventID set makes it
// a reconnect. The stream is closed when the test ends.
func OpenStream(t testing.TB, base, token, lastEventID string) *Stream {
	t.Helper()
	var cookies []*http.Cookie
	if token != "" {
		cookies = append(cookies, &http.Cookie{Name: "session", Value: token})
	}
	return openStream(t, http.DefaultClient, base+streamPath, cookies, lastEventID)
}

// OpenPageStream opens the stream at url, the address a page rendered for its stream
// (hx-sse:connect, with the page's ?rev=), as the page's first connect.
func OpenPageStream(t testing.TB, url, token string) *Stream {
	t.Helper()
	return openStream(t, http.DefaultClient, url, []*http.Cookie{{Name: "session", Value: token}}, "")
}

// OpenStream opens a stream over https at base as a browser that trusts c, with the
// cookies it holds (__Host-session, and __Host-bound for a device-bound session).
func (c *Cert) OpenStream(t testing.TB, base string, cookies []*http.Cookie, lastEventID string) *Stream {
	t.Helper()
	return openStream(t, &http.Client{Transport: c.transport()}, base+streamPath, cookies, lastEventID) // no timeout: a stream stays open
}

const streamPath = "/app/settings/security/events"

func openStream(t testing.TB, client *http.Client, url string, cookies []*http.Cookie, lastEventID string) *Stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	req.Header.Set("Accept", "text/html, text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd") // as a browser: the stream must not take it up
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	s := &Stream{Status: resp.StatusCode, Header: resp.Header, events: make(chan Event, 64)}
	go func() {
		defer close(s.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev Event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					ev.At = time.Now()
					s.events <- ev
				}
				ev = Event{}
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[len("data: "):]
			}
		}
	}()
	return s
}

// Next waits up to d for the next event named one of names (others are skipped); ok is
// false when none came, or the stream ended first.
func (s *Stream) Next(d time.Duration, names ...string) (Event, bool) {
	deadline := time.After(d)
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				return Event{}, false
			}
			for _, n := range names {
				if ev.Name == n {
					return ev, true
				}
			}
		case <-deadline:
			return Event{}, false
		}
	}
}

// Ended reports whether the stream closes within d (events before the end are skipped).
func (s *Stream) Ended(d time.Duration) bool {
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
