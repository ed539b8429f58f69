package ha_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/docodego/sessions/ha/history"
)

// watch keeps a security page open for s: its live stream through nginx, reconnecting
// with Last-Event-ID as htmx's SSE extension does, and on a resync fetching the live update
// as the page does. When the page is sent to sign-in (a session-ended event, or the live
// update's HX-Redirect to /login) it records StreamEnded and stops; done closes then or
// when ctx ends.
func (w *workload) watch(ctx context.Context, client int, a *account, s *liveSession) (done <-chan struct{}) {
	stop := make(chan struct{})
	streams := &http.Client{CheckRedirect: w.http.CheckRedirect} // no timeout: a stream stays open
	go func() {
		defer close(stop)
		lastID, opened := "", false
		ended := func(how string) {
			w.rec.Add(history.Event{Client: client, Op: history.StreamEnded, User: a.email, Session: s.key,
				SessionID: s.id, Start: time.Now(), End: time.Now(), Body: how})
		}
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", w.base+"/app/settings/security/events", nil)
			req.Header.Set("Cookie", "session="+s.cookie)
			req.Header.Set("Accept", "text/event-stream")
			if lastID != "" {
				req.Header.Set("Last-Event-ID", lastID)
			}
			start := time.Now()
			resp, err := streams.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				if err == nil {
					resp.Body.Close()
				}
				pause(ctx, 500*time.Millisecond) // the extension's first backoff
				continue
			}
			if !opened {
				opened = true
				w.rec.Add(history.Event{Client: client, Op: history.StreamOpen, User: a.email, Session: s.key,
					SessionID: s.id, Start: start, End: time.Now(), Status: 200})
			}
			if how := w.readStream(ctx, client, a, s, resp, &lastID); how != "" {
				ended(how)
				return
			}
			pause(ctx, 500*time.Millisecond)
		}
	}()
	return stop
}

// readStream reads events until the stream ends; it answers how the page was sent to
// sign-in, or "" if the stream just ended.
func (w *workload) readStream(ctx context.Context, client int, a *account, s *liveSession, resp *http.Response, lastID *string) string {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			*lastID = line[len("id: "):]
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case line == "" && event == "session-ended":
			return "session-ended event"
		case line == "" && (event == "security-resync" || event == "security-changed"):
			event = ""
			if w.liveUpdate(ctx, client, a, s) {
				return "resync: live update sent it to sign-in"
			}
		case line == "":
			event = ""
		}
	}
	return ""
}

// liveUpdate is the page's fetch after a change or resync; true if it was sent to sign-in.
func (w *workload) liveUpdate(ctx context.Context, client int, a *account, s *liveSession) bool {
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", w.base+"/app/settings/security/live?op=resync", nil)
		req.Header.Set("Cookie", "session="+s.cookie)
		req.Header.Set("HX-Request", "true")
		resp, err := w.http.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		switch {
		case strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login"):
			return true
		case resp.StatusCode == http.StatusServiceUnavailable:
			pause(ctx, 500*time.Millisecond) // the page's fetch fails; the next resync retries
			return false
		default:
			return false
		}
	}
	return false
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
