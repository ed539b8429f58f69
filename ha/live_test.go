package ha_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// TestLiveSignOutThroughNginx: a page's stream goes through nginx to one of two instances
// of the real binary. A revoke through nginx signs it out at once. Then the instance that
// holds another page's stream is killed: the page reconnects (as the SSE extension does,
// with Last-Event-ID) through nginx to the survivor, gets a resync, and is signed out live
// when its session is revoked.
func TestLiveSignOutThroughNginx(t *testing.T) {
	ctx := withTimeout(t, 2*time.Minute)
	apps, base := startPairBehindNginx(ctx, t)
	c := newClient(base)
	owner := c.signUp(t, 1)[0]
	signIn := func() (cookie, id string) {
		r := c.do("POST", "/api/auth/sign-in/email", "", owner.ip, map[string]string{"email": owner.email, "password": password})
		if r.cookie == "" {
			t.Fatalf("sign in: %s", r)
		}
		cookie = r.cookie
		if id, r = c.sessionID(cookie); id == "" {
			t.Fatalf("session id: %s", r)
		}
		return cookie, id
	}
	revoke := func(id string) {
		if r := c.do("DELETE", "/api/auth/sessions/"+id, owner.main, owner.ip, nil); r.status != 204 {
			t.Fatalf("revoke: %s", r)
		}
	}

	// Through nginx, on whichever instance it picked.
	cookie, id := signIn()
	s := testserver.OpenStream(t, base, cookie, "")
	if s.Status != 200 {
		t.Fatalf("stream through nginx: %d", s.Status)
	}
	time.Sleep(100 * time.Millisecond) // the stream is subscribed before its headers leave; margin for nginx
	revoke(id)
	revoked := time.Now()
	if ev, ok := s.Next(time.Second, "session-ended"); !ok || ev.Data != "/login?ended=revoked" {
		t.Fatalf("no session-ended through nginx within 1 s of the revoke (%+v)", ev)
	}
	t.Logf("signed out through nginx %v after the revoke's answer", time.Since(revoked).Round(time.Millisecond))

	// The instance holding the stream dies.
	cookie, id = signIn()
	s = testserver.OpenStream(t, base, cookie, "")
	holder := s.Header.Get("X-Upstream")
	var victim *app
	for _, a := range apps {
		if strings.Contains(holder, a.addr) {
			victim = a
		}
	}
	if victim == nil {
		t.Fatalf("X-Upstream %q names no instance", holder)
	}
	victim.kill(syscall.SIGKILL)
	if !s.Ended(5 * time.Second) {
		t.Fatal("the stream of a killed instance did not end")
	}
	again := testserver.OpenStream(t, base, cookie, "1") // the extension's reconnect
	if again.Status != 200 || strings.Contains(again.Header.Get("X-Upstream"), victim.addr) {
		t.Fatalf("reconnect: %d via %q", again.Status, again.Header.Get("X-Upstream"))
	}
	if _, ok := again.Next(2*time.Second, "security-resync"); !ok {
		t.Fatal("the reconnected stream got no resync")
	}
	revoke(id)
	if ev, ok := again.Next(time.Second, "session-ended"); !ok || ev.Data != "/login?ended=revoked" {
		t.Fatal("no session-ended on the survivor within 1 s of the revoke")
	}
}
