package resilience_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db/dbtest"
	"github.com/docodego/sessions/internal/testserver"
	"github.com/docodego/sessions/live"
)

// A session ended through instance A signs out the page streaming from instance B within
// 1 s of the commit: one revoke, "revoke all others", and a password change that signs the
// others out. The owner's stream on B hears of the change too.
func TestLiveSignOutAcrossInstances(t *testing.T) {
	a, b := twoInstances(t, testserver.Options{})
	cases := []struct {
		name   string
		revoke func(owner, victimID string) answer
	}{
		{"revoke one", func(owner, victimID string) answer {
			return mustCall(t, "DELETE", a.URL+"/api/auth/sessions/"+victimID, owner, "")
		}},
		{"revoke all others", func(owner, _ string) answer {
			return mustCall(t, "DELETE", a.URL+"/api/auth/sessions", owner, "")
		}},
		{"password change", func(owner, _ string) answer {
			return mustCall(t, "POST", a.URL+"/api/auth/change-password", owner,
				`{"currentPassword":"`+password+`","newPassword":"`+password+` again","revokeOtherSessions":true}`)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			email := "live" + string(rune('a'+i)) + "@example.test"
			owner := signIn(t, a, email, true)
			victim := signIn(t, a, email, false)
			watcher := testserver.OpenStream(t, b.URL, owner, "") // the owner's other page, on B
			stream := testserver.OpenStream(t, b.URL, victim, "")
			if stream.Status != 200 || watcher.Status != 200 {
				t.Fatalf("stream status %d, %d; want 200", stream.Status, watcher.Status)
			}
			waitStreams(t, b.Hub, 2)
			r := tc.revoke(owner, currentSessionID(t, a, victim))
			committed := time.Now()
			if r.status >= 300 {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
			ev, ok := stream.Next(time.Second, "session-ended")
			if !ok {
				t.Fatal("no session-ended event within 1 s of the revoke")
			}
			if ev.Data != "/login?ended=revoked" {
				t.Errorf("session-ended data %q; want /login?ended=revoked", ev.Data)
			}
			t.Logf("signed out %v after the answer", ev.At.Sub(committed).Round(time.Millisecond))
			if !stream.Ended(time.Second) {
				t.Error("the stream stayed open after its session ended")
			}
			if _, ok := watcher.Next(time.Second, "security-changed"); !ok {
				t.Error("the owner's other page heard nothing of the change")
			}
		})
	}
}

// Two sessions of one user streaming, and a revoke of one at the same moment as a fresh
// stream opens for it: whatever the order, the revoked session's stream never stays open.
func TestLiveRevokeRacesStreamOpen(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Heartbeat: time.Hour})
	owner := signIn(t, srv, "race@example.test", true)
	for i := range 10 {
		victim := signIn(t, srv, "race@example.test", false)
		id := currentSessionID(t, srv, victim)
		var wg sync.WaitGroup
		var stream *testserver.Stream
		start := make(chan struct{})
		wg.Go(func() { <-start; stream = testserver.OpenStream(t, srv.URL, victim, "") })
		wg.Go(func() { <-start; mustCall(t, "DELETE", srv.URL+"/api/auth/sessions/"+id, owner, "") })
		close(start)
		wg.Wait()
		if !stream.Ended(2 * time.Second) {
			t.Fatalf("round %d: a stream of a revoked session stayed open", i)
		}
	}
}

// With its notification suppressed, a revoked session's stream still ends at the next
// heartbeat, which re-checks the session.
func TestLiveHeartbeatEndsRevokedStream(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Heartbeat: 200 * time.Millisecond})
	owner := signIn(t, srv, "beat@example.test", true)
	victim := signIn(t, srv, "beat@example.test", false)
	stream := testserver.OpenStream(t, srv.URL, victim, "")
	waitStreams(t, srv.Hub, 1)
	// Revoke behind the triggers' back: replica mode fires no trigger, so no NOTIFY.
	tx, err := srv.Store.DB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE sessions SET revoked_at = now() WHERE id = $1`, currentSessionID(t, srv, victim)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	_ = owner
	if _, ok := stream.Next(2*time.Second, "session-ended"); !ok {
		t.Fatal("no session-ended at the heartbeat after a silent revoke")
	}
	if !stream.Ended(time.Second) {
		t.Error("the stream stayed open")
	}
}

// Past STREAM_LIMIT_PER_USER or STREAM_LIMIT, a stream is refused with 503.
func TestLiveStreamLimits(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Streams: live.Limits{PerUser: 2, Total: 3}})
	one := signIn(t, srv, "limit1@example.test", true)
	two := signIn(t, srv, "limit2@example.test", true)
	for i, want := range []int{200, 200, 503} {
		if s := testserver.OpenStream(t, srv.URL, one, ""); s.Status != want {
			t.Errorf("user stream %d: status %d; want %d", i+1, s.Status, want)
		}
	}
	if s := testserver.OpenStream(t, srv.URL, two, ""); s.Status != 200 {
		t.Errorf("another user's stream: %d; want 200", s.Status)
	}
	if s := testserver.OpenStream(t, srv.URL, two, ""); s.Status != 503 {
		t.Errorf("a stream past the instance limit: %d; want 503", s.Status)
	}
}

// Shutdown ends open streams at once, while an ordinary request in flight (held up by a
// table lock) still finishes and answers.
func TestLiveShutdownClosesStreams(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "shutdown-live@example.test", true)
	streams := []*testserver.Stream{testserver.OpenStream(t, srv.URL, token, ""), testserver.OpenStream(t, srv.URL, token, "")}
	waitStreams(t, srv.Hub, 2)
	inFlight, release := requestHeldByLock(t, srv, token)
	done := make(chan struct{})
	go func() { srv.Stop(); close(done) }()
	for i, s := range streams {
		if !s.Ended(2 * time.Second) {
			t.Errorf("stream %d still open 2 s after shutdown began", i)
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if a := <-inFlight; a.status != 200 {
		t.Errorf("request in flight during shutdown: %d %s; want 200", a.status, a.body)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("shutdown did not finish within 5 s of the last request")
	}
}

// The expiry of a session with an open stream signs its page out at that moment, with no
// request and no write to notify anyone.
func TestLiveExpirySignsOut(t *testing.T) {
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	cfg.AbsoluteLifetime = 2 * time.Second
	srv := testserver.Start(t, testserver.Options{Auth: &cfg, Heartbeat: time.Hour})
	s := testserver.OpenStream(t, srv.URL, signIn(t, srv, "expiry-live@example.test", true), "")
	if ev, ok := s.Next(4*time.Second, "session-ended"); !ok || ev.Data != "/login?ended=expired" {
		t.Fatalf("no session-ended to /login?ended=expired at expiry (%+v)", ev)
	}
}

// The stream's answer is never compressed nor cached, whatever the client accepts.
func TestLiveStreamHeaders(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "headers-live@example.test", true)
	s := testserver.OpenStream(t, srv.URL, token, "")
	for name, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store",
		"Content-Encoding": "", "X-Accel-Buffering": "no"} {
		if got := s.Header.Get(name); got != want {
			t.Errorf("%s: %q; want %q", name, got, want)
		}
	}
}

// PostgreSQL restarts under open streams: the listener reconnects and every stream gets a
// resync (notifications sent meanwhile are lost), none hangs, and a change after the
// restart still arrives.
func TestLiveResyncAfterDatabaseRestart(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Heartbeat: time.Second})
	token := signIn(t, srv, "resync@example.test", true)
	var streams []*testserver.Stream
	for range 5 {
		streams = append(streams, testserver.OpenStream(t, srv.URL, token, ""))
	}
	waitStreams(t, srv.Hub, 5)
	if err := dbtest.Server().Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, s := range streams {
		if _, ok := s.Next(10*time.Second, "security-resync"); !ok {
			t.Fatalf("stream %d: no resync within 10 s of the restart", i)
		}
	}
	signIn(t, srv, "resync@example.test", false)
	for i, s := range streams {
		if ev, ok := s.Next(5*time.Second, "security-changed"); !ok || ev.Data[:4] != "new:" {
			t.Errorf("stream %d: no news of a sign-in after the restart (%q)", i, ev.Data)
		}
	}
}

// A reconnecting page (Last-Event-ID) starts with a resync: it missed what happened while away.
func TestLiveReconnectResyncs(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := signIn(t, srv, "reconnect@example.test", true)
	if _, ok := testserver.OpenStream(t, srv.URL, token, "1").Next(time.Second, "security-resync"); !ok {
		t.Error("a reconnect got no resync")
	}
	signedOut := testserver.OpenStream(t, srv.URL, "", "1")
	if ev, ok := signedOut.Next(time.Second, "session-ended"); !ok || ev.Data != "/login" {
		t.Errorf("a stream without a session: %+v; want session-ended to /login", ev)
	}
}

// waitStreams waits until the hub holds n streams (the handler subscribes before it answers,
// but the client sees the headers only once the first bytes are flushed).
func waitStreams(t *testing.T, hub *live.Hub, n int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); hub.Count() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("hub holds %d streams; want %d", hub.Count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
