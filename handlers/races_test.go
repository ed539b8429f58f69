package handlers_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// The race tests (SECURITY.md "Concurrency") start both sides at a barrier, many times,
// and assert the invariant whatever order the database put them in. A password check
// takes a few milliseconds here, as argon2id's ~40 ms does in production, so the writes
// overlap the way an attacker's do.

const raceRounds = 24

// raceEnv is an app whose sign-in limits do not get in the way of many rounds.
func raceEnv(t *testing.T) *env {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.SignInLimit, c.SignUpLimit = 1<<20, 1<<20 }})
	e.auth.SetPasswordCheck(func(password, encoded string) (bool, error) {
		time.Sleep(3 * time.Millisecond) // the window a real KDF leaves open
		return auth.CheckPassword(password, encoded)
	})
	return e
}

// signedIn is a client holding a fresh session of the account, made through the service.
func (e *env) signedIn(email, password, ua string) *client {
	e.t.Helper()
	_, token, err := e.auth.SignIn(e.t.Context(), email, password, auth.Client{UserAgent: ua, IP: "192.0.2.7"})
	if err != nil {
		e.t.Fatalf("sign in %s: %v", email, err)
	}
	c := e.client(ua)
	c.cookies["session"] = token
	return c
}

// account signs a new account up through the service and returns its first session.
func (e *env) account(email string) *client {
	e.t.Helper()
	_, token, err := e.auth.SignUp(e.t.Context(), "Race", email, testPassword, auth.Client{UserAgent: uaChromeMac, IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatalf("sign up %s: %v", email, err)
	}
	c := e.client(uaChromeMac)
	c.cookies["session"] = token
	return c
}

// atBarrier runs each function in its own goroutine, all released at once, and waits.
func atBarrier(fns ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() { <-start; fn() })
	}
	close(start)
	wg.Wait()
}

// sessionRevoked reports whether the session with this id is revoked in the database.
func (e *env) sessionRevoked(userID, id string) bool {
	e.t.Helper()
	s, err := e.store.UserSession(e.t.Context(), userID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.RevokedAt.Valid
}

// endedAnswer reports whether r is the answer to a request whose session ended: 401
// session_revoked in JSON, or the way to the sign-in page with the "ended" message.
func endedAnswer(r response) bool {
	switch {
	case r.status == 401:
		return strings.Contains(r.body, `"session_revoked"`)
	case r.header.Get("HX-Redirect") != "":
		return r.header.Get("HX-Redirect") == "/login?ended=revoked"
	}
	return r.status == 303 && r.header.Get("Location") == "/login?ended=revoked"
}

// The owner revokes the thief's session while the thief revokes all others, through each
// of the thief's routes: never do both take effect. The one that commits first wins; the
// other writes nothing and is told its session ended.
func TestRevokeRaceOwnerAgainstThief(t *testing.T) {
	e := raceEnv(t)
	thiefWays := []struct {
		name string
		send func(c *client, csrf string) response
		ok   func(r response) bool
	}{
		{"DELETE /api/auth/sessions", func(c *client, _ string) response { return c.do("DELETE", "/api/auth/sessions", "", nil) },
			func(r response) bool { return r.status == 200 }},
		{"better-auth revoke-other-sessions", func(c *client, _ string) response { return c.json("POST", "/api/auth/revoke-other-sessions", "{}") },
			func(r response) bool { return r.status == 200 && r.body == `{"status":true}` }},
		{"better-auth revoke-sessions", func(c *client, _ string) response { return c.json("POST", "/api/auth/revoke-sessions", "{}") },
			func(r response) bool { return r.status == 200 && r.body == `{"status":true}` }},
		{"page revoke-others (htmx)", func(c *client, csrf string) response {
			return c.do("POST", "/app/settings/security/sessions/revoke-others", "",
				map[string]string{"HX-Request": "true", "X-CSRF-Token": csrf})
		}, func(r response) bool { return r.status == 200 && r.header.Get("HX-Redirect") == "" }},
	}
	wins := map[string]int{}
	for i := range raceRounds {
		way := thiefWays[i%len(thiefWays)]
		email := fmt.Sprintf("race%d@example.com", i)
		owner := e.account(email)
		thief := e.signedIn(email, testPassword, uaFirefoxWin)
		ownerID, thiefID := owner.currentID(), thief.currentID()
		userID := e.user(email).ID
		csrf := thief.csrf()
		var ownerAnswer, thiefAnswer response
		atBarrier(
			func() { ownerAnswer = owner.do("DELETE", "/api/auth/sessions/"+thiefID, "", nil) },
			func() { thiefAnswer = way.send(thief, csrf) },
		)
		ownerWon, thiefWon := ownerAnswer.status == 204, way.ok(thiefAnswer)
		switch {
		case ownerWon == thiefWon:
			t.Fatalf("round %d (%s): owner %d %s, thief %d %s: exactly one must win", i, way.name,
				ownerAnswer.status, ownerAnswer.body, thiefAnswer.status, thiefAnswer.body)
		case ownerWon && !endedAnswer(thiefAnswer), thiefWon && !endedAnswer(ownerAnswer):
			t.Fatalf("round %d (%s): the loser was not told its session ended: owner %d %q, thief %d %q", i, way.name,
				ownerAnswer.status, ownerAnswer.header.Get("HX-Redirect"), thiefAnswer.status, thiefAnswer.header.Get("HX-Redirect"))
		}
		if ownerRevoked := e.sessionRevoked(userID, ownerID); ownerRevoked != thiefWon {
			t.Fatalf("round %d (%s): owner's session revoked=%v though the thief won=%v", i, way.name, ownerRevoked, thiefWon)
		}
		if ownerWon && !e.sessionRevoked(userID, thiefID) {
			t.Fatalf("round %d (%s): the owner won but the thief's session lives", i, way.name)
		}
		wins[map[bool]string{true: "owner", false: "thief"}[ownerWon]]++
	}
	t.Logf("wins over %d rounds: %v", raceRounds, wins)
}

// The owner revokes the attacker's session while the attacker's change-password (which
// ends every other session) is in flight: the two never both take effect. A password
// change that loses writes nothing: the old password still works.
func TestPasswordChangeRaceWithRevoke(t *testing.T) {
	e := raceEnv(t)
	changed := 0
	for i := range raceRounds {
		email := fmt.Sprintf("change%d@example.com", i)
		owner := e.account(email)
		attacker := e.signedIn(email, testPassword, uaFirefoxWin)
		attackerID := attacker.currentID()
		userID := e.user(email).ID
		before := e.passwordHash(email)
		var revoke, change response
		atBarrier(
			func() {
				time.Sleep(time.Duration(i%4) * 4 * time.Millisecond) // either side may go first
				revoke = owner.do("DELETE", "/api/auth/sessions/"+attackerID, "", nil)
			},
			func() {
				change = attacker.json("POST", "/api/auth/change-password",
					`{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`","revokeOtherSessions":true}`)
			},
		)
		hashChanged := e.passwordHash(email) != before
		revoked := e.sessionRevoked(userID, attackerID)
		switch {
		case hashChanged && revoked:
			t.Fatalf("round %d: the password changed and the attacker was revoked (revoke %d, change %d %s)",
				i, revoke.status, change.status, change.body)
		case hashChanged != (change.status == 200), revoked != (revoke.status == 204):
			t.Fatalf("round %d: answers disagree with the state: change %d (changed %v), revoke %d (revoked %v)",
				i, change.status, hashChanged, revoke.status, revoked)
		case !hashChanged && !endedAnswer(change), !revoked && !endedAnswer(revoke):
			t.Fatalf("round %d: the loser was not told its session ended: change %d %s, revoke %d %s",
				i, change.status, change.body, revoke.status, revoke.body)
		}
		if hashChanged {
			changed++
		}
	}
	t.Logf("password changed first in %d of %d rounds", changed, raceRounds)
}

// A password change that ends the other sessions, racing sign-ins with the old password:
// afterwards no session but the owner's is alive. A sign-in that verified the old hash
// either committed before the change (and was ended by it) or finds the hash replaced.
func TestPasswordChangeRaceWithOldPasswordSignIns(t *testing.T) {
	e := raceEnv(t)
	const attackers = 4
	for i := range raceRounds / 2 {
		email := fmt.Sprintf("signin%d@example.com", i)
		owner := e.account(email)
		ownerID := owner.currentID()
		userID := e.user(email).ID
		var change response
		signIns := make([]response, attackers)
		fns := []func(){func() {
			change = owner.json("POST", "/api/auth/change-password",
				`{"currentPassword":"`+testPassword+`","newPassword":"`+newPassword+`","revokeOtherSessions":true}`)
		}}
		for a := range attackers {
			fns = append(fns, func() {
				signIns[a] = e.client(uaSafariPhone).json("POST", "/api/auth/sign-in/email",
					`{"email":"`+email+`","password":"`+testPassword+`"}`)
			})
		}
		atBarrier(fns...)
		if change.status != 200 {
			t.Fatalf("round %d: change-password %d %s", i, change.status, change.body)
		}
		live, err := e.store.ActiveSessions(t.Context(), userID, time.Now(), time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 1 || live[0].ID != ownerID {
			ok := 0
			for _, r := range signIns {
				if r.status == 200 {
					ok++
				}
			}
			t.Fatalf("round %d: %d sessions alive after the change (%d old-password sign-ins answered 200); want only the owner's",
				i, len(live), ok)
		}
	}
}
