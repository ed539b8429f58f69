package ha_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/ha/history"
)

// workload is many people using the product through nginx: each client owns a few
// accounts and, in turn, signs in, views the security page, lists and reads its sessions,
// revokes one, revokes all others, or changes its password. Every request goes into rec.
type workload struct {
	base string
	http *http.Client
	rec  *history.Recorder
	run  string // tells this run's accounts from others'

	signedUp   int // accounts made so far: each gets its own number, address and email
	sessionsMu sync.Mutex
	sessions   []ownedSession // every session ever signed in, for the last read
}

type ownedSession struct {
	a *account
	s *liveSession
}

// account is one person; only its owning client touches it, so what it knows is exact.
type account struct {
	email, ip string
	password  string // the last password a change or sign-in confirmed
	pending   string // a change whose answer was lost: the password may be this one
	changes   int
	main      *liveSession
	others    []*liveSession
}

type liveSession struct{ cookie, key, id string }

func newWorkload(base string) *workload {
	return &workload{base: base, rec: &history.Recorder{}, run: fmt.Sprint(time.Now().UnixNano() % 1e9),
		http: &http.Client{
			Timeout:       20 * time.Second, // far past the app's deadline: a hang shows as one
			Transport:     &http.Transport{MaxIdleConnsPerHost: 128},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
}

func sessionKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:6])
}

var emailPattern = regexp.MustCompile(`ha-\d+-\d+@example\.com`)

// request is one call; it returns the event (already recorded) and the answer's body.
func (w *workload) request(client int, op history.Op, method, path string, a *account, s *liveSession, body any, edit func(*history.Event)) (history.Event, []byte, http.Header) {
	e := history.Event{Client: client, Op: op, Method: method, Path: path, User: a.email}
	if s != nil {
		e.Session, e.SessionID = s.key, s.id
	}
	if edit != nil {
		edit(&e)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.base+path, rd)
	if op == history.Page {
		req.Header.Set("Accept", "text/html")
		e.Page = true
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
	}
	if s != nil {
		req.Header.Set("Cookie", "session="+s.cookie)
	}
	req.Header.Set("X-Forwarded-For", a.ip) // sign-in limits count per person
	e.Start = time.Now()
	resp, err := w.http.Do(req)
	var b []byte
	var hdr http.Header
	if err == nil {
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		e.Status, hdr = resp.StatusCode, resp.Header
		e.RetryAfter, e.Upstream = hdr.Get("Retry-After"), hdr.Get("X-Upstream")
		e.UpstreamTime = hdr.Get("X-Upstream-Time")
	}
	e.End = time.Now()
	if err != nil {
		e.Error = err.Error()
	}
	e.Body = string(b[:min(len(b), 300)])
	if e.Page && !e.OK() {
		e.Body = string(b[:min(len(b), 16<<10)]) // the error page's words, whole
	}
	if !e.Page {
		var answer struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &answer) == nil {
			e.Code = answer.Error
		}
	}
	if e.Page && e.OK() {
		e.Emails = emailPattern.FindAllString(string(b), -1)
	}
	if op == history.SignIn && e.OK() {
		if s := w.adopt(e, hdr); s != nil {
			e.Target = s.key // the new session, named by its cookie's key
		}
	}
	if e.Page && e.Status == http.StatusSeeOther && strings.HasPrefix(hdr.Get("Location"), "/login") {
		e.Code = "sent_to_sign_in"
	}
	switch op {
	case history.List:
		var l struct {
			Sessions []struct {
				ID string `json:"id"`
			} `json:"sessions"`
		}
		if e.OK() && json.Unmarshal(b, &l) == nil {
			for _, s := range l.Sessions {
				e.Listed = append(e.Listed, s.ID)
			}
		}
	case history.Read:
		var cur struct {
			ID string `json:"id"`
		}
		if e.OK() && json.Unmarshal(b, &cur) == nil && cur.ID != "" {
			e.Listed = []string{cur.ID}
		}
	}
	w.rec.Add(e)
	if e.Failed() {
		time.Sleep(100 * time.Millisecond) // a real client backs off instead of spinning on 503s
	}
	return e, b, hdr
}

// signUp makes n accounts, each with its main session and its id, four at a time.
func (w *workload) signUp(t *testing.T, n int) []*account {
	t.Helper()
	accounts := make([]*account, n)
	first := w.signedUp
	w.signedUp += n
	var wg sync.WaitGroup
	errs := make(chan string, n)
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				a, err := w.signUpOne(first + j)
				if err != "" {
					errs <- err
				}
				accounts[j] = a
			}
		}()
	}
	for j := range n {
		next <- j
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return accounts
}

// signUpOne makes account i; it answers why not, if it could not.
func (w *workload) signUpOne(i int) (*account, string) {
	a := &account{email: fmt.Sprintf("ha-%s-%d@example.com", w.run, i), ip: fmt.Sprintf("127.2.%d.%d", i/200, i%200+1),
		password: fmt.Sprintf("pw-%s-%d-0-horse-staple", w.run, i)}
	for try := 0; ; try++ {
		e, _, hdr := w.request(-1, history.SignIn, "POST", "/api/auth/sign-up/email", a, nil,
			map[string]string{"name": fmt.Sprintf("HA %d", i), "email": a.email, "password": a.password},
			func(e *history.Event) { e.Password = a.password })
		if e.OK() {
			if s := w.adopt(e, hdr); s != nil && w.learnID(-1, a, s) {
				a.main = s
				return a, ""
			}
		}
		if try > 5 {
			return nil, "sign up: " + e.String()
		}
		time.Sleep(time.Second) // as Retry-After says
	}
}

// adopt takes the session cookie a sign-in answered with.
func (w *workload) adopt(e history.Event, hdr http.Header) *liveSession {
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == "session" && c.Value != "" {
			return &liveSession{cookie: c.Value, key: sessionKey(c.Value)}
		}
	}
	return nil
}

// learnID reads the session's public id (needed to revoke it by id).
func (w *workload) learnID(client int, a *account, s *liveSession) bool {
	for range 5 {
		e, _, _ := w.request(client, history.Read, "GET", "/api/users/me/current-session", a, s, nil, nil)
		if e.OK() && len(e.Listed) == 1 {
			s.id = e.Listed[0]
			w.sessionsMu.Lock()
			w.sessions = append(w.sessions, ownedSession{a, s})
			w.sessionsMu.Unlock()
			return true
		}
		if e.Status == http.StatusUnauthorized {
			return false
		}
	}
	return false
}

// signIn adds a session to a, trying the password a lost change may have set first.
func (w *workload) signIn(client int, a *account) {
	for _, p := range []string{a.pending, a.password} {
		if p == "" {
			continue
		}
		var s *liveSession
		e, _, hdr := w.request(client, history.SignIn, "POST", "/api/auth/sign-in/email", a, nil,
			map[string]string{"email": a.email, "password": p}, func(e *history.Event) { e.Password = p })
		if !e.OK() {
			if e.Status == http.StatusUnauthorized {
				continue
			}
			return
		}
		if s = w.adopt(e, hdr); s == nil {
			return
		}
		if a.pending != "" {
			a.password, a.pending = p, ""
		}
		if w.learnID(client, a, s) {
			a.others = append(a.others, s)
		}
		return
	}
}

// drop forgets a session the app refused or a confirmed end ended.
func (a *account) drop(key string) {
	for i, s := range a.others {
		if s.key == key {
			a.others = append(a.others[:i], a.others[i+1:]...)
			return
		}
	}
}

// step does one thing a person does, picked by a realistic mix.
func (w *workload) step(client int, a *account, rnd *rand.Rand) {
	pick := func() *liveSession {
		if len(a.others) == 0 || rnd.IntN(3) == 0 {
			return a.main
		}
		return a.others[rnd.IntN(len(a.others))]
	}
	refused := func(e history.Event, s *liveSession) {
		if e.Status == http.StatusUnauthorized || e.Code == "sent_to_sign_in" {
			a.drop(s.key)
		}
	}
	switch n := rnd.IntN(100); {
	case n < 25:
		s := pick()
		e, _, _ := w.request(client, history.Read, "GET", "/api/users/me/current-session", a, s, nil, nil)
		refused(e, s)
	case n < 45:
		s := pick()
		e, _, _ := w.request(client, history.List, "GET", "/api/auth/sessions", a, s, nil, nil)
		refused(e, s)
	case n < 60:
		s := pick()
		e, _, _ := w.request(client, history.Page, "GET", "/app/settings/security", a, s, nil, nil)
		refused(e, s)
	case n < 75 || len(a.others) == 0:
		if len(a.others) < 6 {
			w.signIn(client, a)
		}
	case n < 90:
		victim := a.others[rnd.IntN(len(a.others))]
		e, _, _ := w.request(client, history.Revoke, "DELETE", "/api/auth/sessions/"+victim.id, a, a.main, nil,
			func(e *history.Event) { e.Target = victim.key })
		if e.OK() || e.Status == http.StatusNotFound {
			a.drop(victim.key)
		}
	case n < 95:
		e, _, _ := w.request(client, history.RevokeAll, "DELETE", "/api/auth/sessions", a, a.main, nil, nil)
		if e.OK() {
			a.others = nil
		}
	default:
		if a.pending != "" {
			return // sign in first to learn which password holds
		}
		a.changes++
		next := fmt.Sprintf("pw-%s-%s-%d-horse-staple", w.run, a.email[:strings.IndexByte(a.email, '@')], a.changes)
		e, _, _ := w.request(client, history.ChangePassword, "POST", "/api/auth/change-password", a, a.main,
			map[string]any{"currentPassword": a.password, "newPassword": next, "revokeOtherSessions": true},
			func(e *history.Event) { e.Password, e.NewPassword = a.password, next })
		switch {
		case e.OK():
			a.password, a.others = next, nil
		case e.Status == 0 || e.Status >= 500:
			a.pending = next
		}
	}
}

// start runs clients goroutines, each owning its share of accounts, until ctx ends.
func (w *workload) start(ctx context.Context, clients int, accounts []*account) (wait func()) {
	var wg sync.WaitGroup
	for c := range clients {
		var mine []*account
		for i := c; i < len(accounts); i += clients {
			mine = append(mine, accounts[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				w.step(c, mine[rnd.IntN(len(mine))], rnd)
				// A person reads before the next click; without it 24 clients would be a
				// flood that measures the two cores, not the failover.
				pause(ctx, time.Duration(100+rnd.IntN(200))*time.Millisecond)
			}
		}()
	}
	return wg.Wait
}
