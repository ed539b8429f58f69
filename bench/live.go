package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Live stream rows (issue 18), after the 1,000,000-session rows: idle streams one instance
// holds and the memory each costs; a read row again with 1,000 idle streams open; and how
// long a revoke committed through one instance takes to reach a stream on another, with
// 1,000 streams open there. The streams belong to list users (seed.go), 20 each
// (STREAM_LIMIT_PER_USER), disjoint per row: a closed stream is noticed only at its next
// heartbeat.
const (
	idleStreams    = 5000
	streamsPerUser = 20
	latencyRevokes = 200
)

// appendLiveRows is the hook main.go calls after the large rows: it measures the live rows
// and appends them to rows (also the ones measured before a failure).
func (b *bencher) appendLiveRows(ctx context.Context, rows []result, bin, dsn string) ([]result, error) {
	next := 0 // list users (seed.go), handed out in turn

	logf("measuring %d idle streams", idleStreams)
	before := b.app.rssNow()
	idle, err := openStreams(ctx, b.app.base, &next, idleStreams)
	if err != nil {
		return rows, err
	}
	time.Sleep(2 * time.Second) // let the allocations settle
	after := b.app.rssNow()
	rows = append(rows, result{Name: fmt.Sprintf("live: %d idle streams held by one instance · %.1f KB RSS per stream%s",
		idle.n(), float64(after-before)/1024/float64(max(idle.n(), 1)), idle.refusedNote()), Requests: idle.n(), RSS: after})
	idle.close()
	// The instance notices a client gone only when it next writes (the 20 s heartbeat):
	// wait, so the next row does not count those streams too.
	time.Sleep(22 * time.Second)

	logf("measuring a read with 1,000 idle streams open")
	quiet, err := openStreams(ctx, b.app.base, &next, 1000)
	if err != nil {
		return rows, err
	}
	r, err := b.measure(ctx, rowSpec{name: "GET /api/auth/sessions/ · 1M stored · 1,000 idle streams open" + quiet.refusedNote(),
		script: listScript("/api/auth/sessions/", browserEncoding), warm: true})
	quiet.close()
	if err != nil {
		return rows, err
	}
	rows = append(rows, r)

	logf("measuring revoke-to-event latency across instances")
	other, err := startApp(ctx, bin, dsn, filepath.Join(b.dir, "b"))
	if err != nil {
		return rows, err
	}
	defer other.stop()
	watched, err := openStreams(ctx, other.base, &next, 1000)
	if err != nil {
		return rows, err
	}
	defer watched.close()
	lat, err := revokeLatency(ctx, b.app.base, watched)
	if err != nil {
		return rows, err
	}
	lat.Name += watched.refusedNote()
	rows = append(rows, lat)
	return rows, nil
}

// benchStream is one open stream and the time its session-ended event arrived.
type benchStream struct {
	user   int // the seeded user
	token  string
	ended  chan time.Time
	cancel context.CancelFunc
}

type streamSet struct {
	streams []*benchStream
	refused atomic.Int64 // opens answered 503 busy and sent again
}

func (s *streamSet) n() int { return len(s.streams) }

// refusedNote says, for a row's name, how many opens were refused busy and sent again.
func (s *streamSet) refusedNote() string {
	if n := s.refused.Load(); n > 0 {
		return fmt.Sprintf(" · %d opens refused 503 busy, sent again after Retry-After", n)
	}
	return ""
}

func (s *streamSet) close() {
	for _, st := range s.streams {
		st.cancel()
	}
}

// openStreams opens count streams at base, streamsPerUser per list user (50 live sessions
// each, seed.go) from the *next-th on, each on one of its sessions, 64 connecting at a time.
func openStreams(ctx context.Context, base string, next *int, count int) (*streamSet, error) {
	set := &streamSet{}
	for len(set.streams) < count {
		u := listUser(*next)
		*next++
		for j := 0; j < streamsPerUser && len(set.streams) < count; j++ {
			set.streams = append(set.streams, &benchStream{user: u, token: token(u, strconv.Itoa(j)), ended: make(chan time.Time, 1)})
		}
	}
	client := &http.Client{}
	errs := make(chan error, len(set.streams))
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, st := range set.streams {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := st.open(ctx, client, base, &set.refused); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		set.close()
		return nil, err
	}
	return set, nil
}

// openAttempts is how many times a stream is opened before its row fails: an open refused
// 503 busy (the admission gate, while the rows before still drain: Retry-After 1) is sent
// again after its Retry-After, as the page's own reconnect does. A longer Retry-After is
// the stream limit (60 s), which waiting does not lift within a row: the row fails.
const openAttempts = 10

// open connects and reads the stream in the background until it ends; refused counts the
// opens answered 503 busy and sent again.
func (st *benchStream) open(ctx context.Context, client *http.Client, base string, refused *atomic.Int64) error {
	ctx, st.cancel = context.WithCancel(ctx) // set before any error: close() calls it
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/app/settings/security/events", nil)
		req.Header.Set("Cookie", "session="+st.token)
		req.Header.Set("Accept", "text/html, text/event-stream")
		var err error
		resp, err = client.Do(req)
		if err != nil {
			st.cancel()
			return fmt.Errorf("open stream: %w", err)
		}
		if resp.StatusCode == http.StatusOK {
			break
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		resp.Body.Close()
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusServiceUnavailable || wait < 1 || wait > 5 || attempt == openAttempts {
			st.cancel()
			return fmt.Errorf("open stream: status %d (%s) after %d attempts", resp.StatusCode, strings.TrimSpace(string(body)), attempt)
		}
		refused.Add(1)
		time.Sleep(time.Duration(wait) * time.Second)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == "event: session-ended" {
				st.ended <- time.Now()
				return
			}
		}
	}()
	return nil
}

// revokeLatency revokes, one at a time through base, sessions whose streams are open on
// the other instance, and times each from the DELETE being sent to the stream's
// session-ended: an upper bound on commit-to-event (the commit happens inside the DELETE).
func revokeLatency(ctx context.Context, base string, watched *streamSet) (result, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	var lat []time.Duration
	var lost int
	// Each user's last stream's session is the one that revokes that user's others.
	actor := map[int]string{}
	for _, st := range watched.streams {
		actor[st.user] = st.token
	}
	for _, st := range watched.streams {
		if len(lat)+lost >= latencyRevokes {
			break
		}
		if st.token == actor[st.user] {
			continue
		}
		id, err := currentSessionID(ctx, client, base, st.token)
		if err != nil {
			return result{}, err
		}
		req, _ := http.NewRequestWithContext(ctx, "DELETE", base+"/api/auth/sessions/"+id+"/", nil)
		req.Header.Set("Cookie", "session="+actor[st.user])
		sent := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return result{}, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return result{}, fmt.Errorf("live latency: revoke answered %d", resp.StatusCode)
		}
		select {
		case at := <-st.ended:
			lat = append(lat, at.Sub(sent))
		case <-time.After(5 * time.Second):
			lost++
		}
	}
	if len(lat) == 0 {
		return result{}, fmt.Errorf("live latency: no revoke reached its stream (%d lost)", lost)
	}
	slices.Sort(lat)
	return result{Name: fmt.Sprintf("live: revoke via instance A → session-ended on instance B · 1,000 streams open on B · %d revokes (%d not delivered in 5 s)", len(lat), lost),
		Requests: len(lat), P50: lat[len(lat)/2], P99: lat[len(lat)*99/100]}, nil
}

func currentSessionID(ctx context.Context, client *http.Client, base, token string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/users/me/current-session", nil)
	req.Header.Set("Cookie", "session="+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var s struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.ID == "" {
		return "", fmt.Errorf("current session: status %d %v", resp.StatusCode, err)
	}
	return strings.TrimSpace(s.ID), nil
}
