package ha_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const password = "correct-horse-battery-staple-9"

// client talks JSON to the app (directly or through nginx), one cookie per call.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

// result is one request as the load saw it.
type result struct {
	op         string
	status     int // 0 when the request got no HTTP answer
	err        error
	upstream   string // nginx's X-Upstream: the instance that answered or failed
	start, end time.Time
	body       []byte
	cookie     string // the session cookie the answer set, if any
}

// failed: no answer, or a server error. A 503 "busy" is not one: it is the app shedding
// password hashes it has no slot for (auth.HashSlots) on a loaded machine, by design and
// with Retry-After, whatever the database is doing.
func (r result) failed() bool { return r.err != nil || (r.status >= 500 && !r.busy()) }

func (r result) busy() bool {
	return r.status == http.StatusServiceUnavailable && bytes.Contains(r.body, []byte(`"error":"busy"`))
}

func (r result) String() string {
	return fmt.Sprintf("%s -> %d %v upstream=%q at +%s..+%s %.120s", r.op, r.status, r.err, r.upstream,
		r.start.Format("15:04:05.000"), r.end.Format("15:04:05.000"), r.body)
}

// do sends one request; ip goes into X-Forwarded-For so sign-in limits count per simulated
// person, not per load generator.
func (c *client) do(method, path, cookie, ip string, body any) result {
	r := result{op: method + " " + path, start: time.Now()}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", "session="+cookie)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		r.err, r.end = err, time.Now()
		return r
	}
	defer resp.Body.Close()
	r.body, r.err = io.ReadAll(resp.Body)
	r.end = time.Now()
	r.status, r.upstream = resp.StatusCode, resp.Header.Get("X-Upstream")
	for _, ck := range resp.Cookies() {
		if ck.Name == "session" && ck.Value != "" {
			r.cookie = ck.Value
		}
	}
	return r
}

// user is a signed-up account with its first session, which the load uses to revoke others.
type user struct {
	email, ip, main string
}

func (c *client) signUp(t *testing.T, n int) []*user {
	t.Helper()
	users := make([]*user, n)
	for i := range users {
		u := &user{email: fmt.Sprintf("ha-%d-%d@example.com", time.Now().UnixNano(), i), ip: fmt.Sprintf("127.1.0.%d", i+1)}
		r := c.do("POST", "/api/auth/sign-up/email", "", u.ip,
			map[string]string{"name": fmt.Sprintf("HA %d", i), "email": u.email, "password": password})
		if r.status != http.StatusOK || r.cookie == "" {
			t.Fatalf("sign up: %s", r)
		}
		u.main, users[i] = r.cookie, u
	}
	return users
}

func (c *client) sessionID(cookie string) (string, result) {
	r := c.do("GET", "/api/users/me/current-session", cookie, "", nil)
	var s struct {
		ID string `json:"id"`
	}
	if r.status == http.StatusOK {
		_ = json.Unmarshal(r.body, &s)
	}
	return s.ID, r
}

// load runs sign-ins, reads and revocations from several workers and remembers what the app
// confirmed: those are the facts that must survive any failure.
type load struct {
	c     *client
	users []*user

	mu         sync.Mutex
	results    []result
	live       map[string]string // session cookie -> id ("" if the id was never read)
	revoked    map[string]string // session cookie -> id, revocation answered 204
	violations []string          // answers that contradict a confirmed fact
}

func newLoad(c *client, users []*user) *load {
	return &load{c: c, users: users, live: map[string]string{}, revoked: map[string]string{}}
}

// run starts workers that loop until ctx ends or each has done maxOps rounds.
func (l *load) run(ctx context.Context, workers, maxOps int) (wait func()) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < maxOps && ctx.Err() == nil; i++ {
				l.round(l.users[(w+i*workers)%len(l.users)], i%2 == 0)
			}
		}()
	}
	return wg.Wait
}

// round signs u in, reads the new session back and, if revoke, ends it from u's main
// session and checks it is refused at once.
func (l *load) round(u *user, revoke bool) {
	r := l.record(l.c.do("POST", "/api/auth/sign-in/email", "", u.ip,
		map[string]string{"email": u.email, "password": password}))
	if r.status != http.StatusOK || r.cookie == "" {
		return
	}
	cookie := r.cookie
	l.set(l.live, cookie, "")
	id, r := l.c.sessionID(cookie)
	l.record(r)
	if r.status == http.StatusUnauthorized {
		l.violate("signed-in session refused: %s", r)
	}
	if id == "" {
		return
	}
	l.set(l.live, cookie, id)
	if !revoke {
		return
	}
	r = l.record(l.c.do("DELETE", "/api/auth/sessions/"+id, u.main, "", nil))
	if r.status != http.StatusNoContent {
		// Not a confirmed fact either way: DELETE is idempotent, so nginx passes it to the
		// other instance when the first dies before answering, and if the first had already
		// revoked, the retry finds nothing to revoke (404) while the session is ended.
		l.mu.Lock()
		delete(l.live, cookie)
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	delete(l.live, cookie)
	l.revoked[cookie] = id
	l.mu.Unlock()
	if _, r := l.c.sessionID(cookie); l.record(r).status == http.StatusOK {
		l.violate("revoked session still accepted: %s", r)
	}
}

func (l *load) record(r result) result {
	l.mu.Lock()
	l.results = append(l.results, r)
	l.mu.Unlock()
	if r.failed() {
		time.Sleep(50 * time.Millisecond) // back off as a real client would, instead of spinning on 503s
	}
	return r
}

func (l *load) set(m map[string]string, k, v string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m[k] = v
}

func (l *load) violate(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.violations = append(l.violations, fmt.Sprintf(format, args...))
}

// snapshot copies what has been recorded so far.
func (l *load) snapshot() []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]result(nil), l.results...)
}

// waitFor polls the recorded results until ok says enough, or fails the test after d.
func (l *load) waitFor(t *testing.T, d time.Duration, what string, ok func([]result) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok(l.snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("load: no %s within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify checks every confirmed fact through the app: each live session works, each
// revoked one is refused as revoked, each user's main session works.
func (l *load) verify(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range l.violations {
		t.Error(v)
	}
	for cookie := range l.live {
		if r := l.c.do("GET", "/api/users/me/current-session", cookie, "", nil); r.status != http.StatusOK {
			t.Errorf("confirmed sign-in lost: %s", r)
		}
	}
	for cookie := range l.revoked {
		r := l.c.do("GET", "/api/users/me/current-session", cookie, "", nil)
		if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "session_revoked") {
			t.Errorf("confirmed revocation lost: %s", r)
		}
	}
	for _, u := range l.users {
		if r := l.c.do("GET", "/api/users/me/current-session", u.main, "", nil); r.status != http.StatusOK {
			t.Errorf("main session of %s lost: %s", u.email, r)
		}
	}
	t.Logf("verified %d live and %d revoked sessions, %d main sessions", len(l.live), len(l.revoked), len(l.users))
}

func count(rs []result, keep func(result) bool) int {
	n := 0
	for _, r := range rs {
		if keep(r) {
			n++
		}
	}
	return n
}
