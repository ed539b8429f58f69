package handlers_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/dbsc/dbsctest"
)

// The outside test's finding 4 (#26): with only a copy of the session cookie and the public
// session id, a thief's refresh POSTs (asking for challenges, and signing them with a key
// of its own) go at the same moment as the device's own refresh, from a barrier, round
// after round, over real HTTPS. The device's refresh always succeeds; the thief never gets
// a bound cookie; asking for challenges is never limited, and its failed proofs, once past
// the limit, get 429.
func TestDBSCCopiedCookieCannotExhaustTheDevicesRefresh(t *testing.T) {
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	e, _ := newServedHTTPSEnv(t, cfg)
	c := e.client(uaChromeMac)
	key := dbsctest.NewKey()
	id := c.bind("dee@example.com", key)
	const rounds, thieves = 8, 14
	limited := 0
	for round := range rounds {
		var start, done sync.WaitGroup
		start.Add(1)
		statuses := make([]int, thieves)
		var device response
		done.Add(thieves + 1)
		go func() {
			defer done.Done()
			start.Wait()
			// Chrome's refresh, step by step (refreshWith fails the test, which only the
			// test's own goroutine may do).
			device = c.refresh(id, "")
			if ch := challengeOf(device, id); ch != "" {
				device = c.refresh(id, key.Refresh(ch))
			}
		}()
		for i := range thieves {
			go func() {
				defer done.Done()
				thief := e.client(uaFirefoxWin)
				thief.cookies["__Host-session"] = c.cookies["__Host-session"]
				start.Wait()
				r := thief.refresh(id, "")
				if i%2 == 1 { // sign the challenge it got with a key of its own
					ch := challengeOf(r, id)
					if ch == "" {
						t.Errorf("round %d: a copy asking for a challenge got %d %s", round, r.status, r.body)
						return
					}
					r = thief.refresh(id, dbsctest.NewKey().Refresh(ch))
				}
				statuses[i] = r.status
			}()
		}
		start.Done()
		done.Wait()
		if device.status != 200 || !strings.HasPrefix(device.header.Get("Set-Cookie"), "__Host-bound=") {
			t.Fatalf("round %d: the device's own refresh got %d %s (thieves: %v)", round, device.status, device.body, statuses)
		}
		for i, st := range statuses {
			switch {
			case i%2 == 0 && st != 403:
				t.Fatalf("round %d: a copy asking for a challenge got %d; challenges are never limited", round, st)
			case i%2 == 1 && st != 401 && st != 429:
				t.Fatalf("round %d: a copy's forged proof got %d (%v)", round, st, statuses)
			case st == 429:
				limited++
			}
		}
		if st, s := c.currentSession(); st != 200 || !s.DeviceBound {
			t.Fatalf("round %d: the device after its refresh: %d %+v", round, st, s)
		}
	}
	if limited == 0 {
		t.Fatalf("%d forged proofs and none was limited", rounds*thieves/2)
	}
	if n := strings.Count(e.logs.String(), `msg="dbsc refresh refused"`); n > 12 {
		t.Errorf("%d refusals logged; past the limit they are not", n)
	}
}

// Challenges are signed, not stored: one is good only for its session, its purpose and its
// five minutes, and only once. A proof by the device's key over any other is asked again
// (403 with a new challenge), never accepted.
func TestDBSCSignedChallenges(t *testing.T) {
	e := newHTTPSEnv(t, nil)
	clk := &clock{now: time.Now()}
	e.auth.SetClock(clk.Now)
	key := dbsctest.NewKey()
	c := e.client(uaChromeMac)
	id := c.bind("dee@example.com", key)
	other := e.client(uaChromeMac)
	otherID := other.bind("dee2@example.com", dbsctest.NewKey())
	registration := e.client(uaChromeMac).pageSignUp("dee3@example.com")
	old := c.challenge(id)
	clk.add(5*time.Minute + time.Second)
	for name, ch := range map[string]string{
		"another session's": other.challenge(otherID), "a registration one": registration,
		"expired": old, "made up": strings.Repeat("A", 75),
	} {
		if r := c.refresh(id, key.Refresh(ch)); r.status != 403 || r.header.Get("Set-Cookie") != "" {
			t.Errorf("%s challenge: %d %q; want 403 and no cookie", name, r.status, r.header.Get("Set-Cookie"))
		}
	}
	ch := c.challenge(id)
	if r := c.refresh(id, key.Refresh(ch)); r.status != 200 {
		t.Fatalf("a live challenge: %d %s", r.status, r.body)
	}
	if r := c.refresh(id, key.Refresh(ch)); r.status != 403 || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("a used challenge: %d", r.status)
	}
}
