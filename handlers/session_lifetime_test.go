package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
)

// A session used every 19 s under a 70 s idle timeout never idles out: last-seen is
// written at least every tenth of the idle timeout (7 s here), not once a minute, which
// ended it at 76 s. The clock is injected; nothing sleeps.
func TestIdleTimeoutKeepsFrequentlyUsedSession(t *testing.T) {
	e := newEnvWith(t, envOptions{auth: func(c *auth.Config) { c.IdleTimeout = 70 * time.Second }})
	c := e.client(uaChromeMac)
	start := time.Now()
	e.auth.SetClock(func() time.Time { return start })
	c.signUp("idle@example.com")
	for i := 1; i <= 8; i++ {
		at := start.Add(time.Duration(i) * 19 * time.Second)
		e.auth.SetClock(func() time.Time { return at })
		if r := c.get("/api/users/me/current-session"); r.status != 200 {
			t.Fatalf("used at %ds: %d %s", i*19, r.status, r.body)
		}
	}
	// Unused for longer than the idle timeout, it still ends.
	late := start.Add(8*19*time.Second + 71*time.Second)
	e.auth.SetClock(func() time.Time { return late })
	if r := c.get("/api/users/me/current-session"); r.status != 401 || !strings.Contains(r.body, "session_expired") {
		t.Fatalf("idle for 71 s: %d %s", r.status, r.body)
	}
}

func TestTouchIntervalIsATenthOfIdleAtMostAMinute(t *testing.T) {
	for idle, want := range map[time.Duration]time.Duration{
		70 * time.Second: 7 * time.Second, 10 * time.Minute: time.Minute, 7 * 24 * time.Hour: time.Minute,
	} {
		if got := (auth.Config{IdleTimeout: idle}).TouchInterval(); got != want {
			t.Errorf("idle %s: interval %s, want %s", idle, got, want)
		}
	}
}

// Lowering SESSION_MAX_LIFETIME (a restart with a new config on the same database) ends
// the sessions already older than the new lifetime: in the lookup, the lists, the status
// endpoint and the expiry each row shows, not only for sessions begun afterwards.
func TestLoweredMaxLifetimeEndsExistingSessions(t *testing.T) {
	before := newEnv(t) // 30 days
	old, kept := before.client(uaChromeMac), before.client(uaFirefoxWin)
	old.signUp("lifetime@example.com")
	oldID := old.currentID()
	start := time.Now()

	after := newEnvWith(t, envOptions{store: before.store, auth: func(c *auth.Config) { c.AbsoluteLifetime = time.Hour }})
	later := start.Add(2 * time.Hour)
	after.auth.SetClock(func() time.Time { return later })
	kept.e = after
	kept.signIn("lifetime@example.com") // begun under the new rule: lives an hour
	old.e = after
	if r := old.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, `"error":"session_expired"`) {
		t.Fatalf("session older than the lowered lifetime: %d %s", r.status, r.body)
	}
	list := kept.sessions()
	if len(list) != 1 || list[0].ID == oldID {
		t.Fatalf("list shows the ended session: %+v", list)
	}
	if d := list[0].ExpiresAt.Sub(later); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Errorf("new session expires in %s, want the lowered lifetime of an hour", d)
	}
	if r := kept.get("/api/auth/sessions/" + oldID + "/status"); !strings.Contains(r.body, `"status":"expired"`) {
		t.Errorf("status of the old session: %s", r.body)
	}
}

// Ids are compared in canonical (lower-case) form: better-auth's revoke-session with the
// current id in upper case signs out, as with the id as given, instead of answering 500;
// another session's id in upper case revokes it.
func TestRevokeSessionIDInAnyCase(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	winID := win.currentID()
	if r := mac.json("POST", "/api/auth/revoke-session", `{"token":"`+strings.ToUpper(winID)+`"}`); r.status != 200 || r.body != `{"status":true}` {
		t.Fatalf("revoke another session, id in upper case: %d %s", r.status, r.body)
	}
	if r := win.get("/api/auth/sessions"); r.status != 401 {
		t.Fatalf("revoked session still works: %d", r.status)
	}
	macID := mac.currentID()
	if r := mac.json("POST", "/api/auth/revoke-session", `{"token":"`+strings.ToUpper(macID)+`"}`); r.status != 200 || r.body != `{"status":true}` {
		t.Fatalf("revoke the current session, id in upper case: %d %s", r.status, r.body)
	}
	if r := mac.get("/api/auth/get-session"); r.body != "null" {
		t.Errorf("still signed in after revoking the current session: %s", r.body)
	}
	// The JSON resource answers its own 409 for the current session, whatever the case.
	desk := e.client(uaTauriLinux)
	desk.signIn("ada@example.com")
	if r := desk.do("DELETE", "/api/auth/sessions/"+strings.ToUpper(desk.currentID()), "", nil); r.status != 409 {
		t.Errorf("DELETE of the current session in upper case: %d %s", r.status, r.body)
	}
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("an error was logged:\n%s", logs)
	}
}
