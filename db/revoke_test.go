package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
	"github.com/docodego/sessions/db/dbtest"
)

// deviceSessions signs a new user in from each of the labelled devices.
func deviceSessions(t *testing.T, store *db.Store, email string, devices ...[3]string) (db.User, []db.Session) {
	t.Helper()
	return newUser(t, store, email, len(devices), func(i int, now time.Time) db.NewSession {
		d := devices[i]
		hash := sha256.Sum256([]byte(email + d[0] + string(rune(i))))
		return db.NewSession{TokenHash: hash[:], UserAgent: "ua", IP: "192.0.2." + string(rune('1'+i)),
			Browser: d[0], OS: d[1], Label: d[2], CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	})
}

var (
	mac   = [3]string{"Chrome", "macOS", "Chrome on macOS"}
	win   = [3]string{"Firefox", "Windows", "Firefox on Windows"}
	phone = [3]string{"Safari", "iOS", "Safari on iPhone"}
)

// One round trip revokes the session and writes its event, with the session's part taken
// from the revoked row; the event is logged once.
func TestRevokeSessionAudited(t *testing.T) {
	store := dbtest.NewStore(t)
	var logs bytes.Buffer
	store.LogAuditEvents(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	user, s := deviceSessions(t, store, "audited@example.com", mac, win, phone)
	actor, target := s[0], s[1]

	// Warm up: the statement is prepared once per connection.
	if _, err := store.RevokeSessionAudited(ctx, user.ID, s[2].ID, &actor, "revoked", time.Now(), db.EventSessionRevoked); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Microsecond)
	before := store.RoundTrips()
	ended, err := store.RevokeSessionAudited(ctx, user.ID, target.ID, &actor, "revoked", now, db.EventSessionRevoked)
	if err != nil {
		t.Fatal(err)
	}
	if n := store.RoundTrips() - before; n != 1 {
		t.Errorf("revoke took %d database round trips; want 1", n)
	}
	if ended.ID != target.ID || !ended.RevokedAt.Time.Equal(now) || ended.RevokedBySessionID.String != actor.ID ||
		ended.RevokeReason != "revoked" || ended.Label != target.Label {
		t.Errorf("returned row: %+v", ended)
	}
	stored, err := store.UserSession(ctx, user.ID, target.ID)
	if err != nil || !stored.RevokedAt.Time.Equal(now) || stored.RevokedBySessionID.String != actor.ID {
		t.Fatalf("the revocation is not stored: %+v %v", stored, err)
	}

	rows, err := store.AuditEvents(ctx, user.ID, nil, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("want 2 events, got %d (%v)", len(rows), err)
	}
	got := rows[0]
	want := db.AuditEvent{
		ID: got.ID, UserID: user.ID, Type: db.EventSessionRevoked, SessionID: db.NullID(target.ID),
		ActorSessionID: db.NullID(actor.ID), IP: actor.IP, DeviceLabel: target.Label, CreatedAt: got.CreatedAt,
		Details: db.Details{"browser": "Firefox", "os": "Windows", "actor_browser": "Chrome", "actor_os": "macOS"},
	}
	if !reflect.DeepEqual(got, want) || !got.CreatedAt.Equal(now) {
		t.Errorf("stored event:\n got %+v\nwant %+v (created at %v)", got, want, now)
	}
	assertRuleEvent(t, got, db.SessionEvent(db.EventSessionRevoked, ended, &actor, now))
	lines := strings.Count(logs.String(), "msg=audit ")
	if lines != 2 || !strings.Contains(logs.String(), "session_id="+target.ID+" actor_session_id="+actor.ID) {
		t.Errorf("want one audit log line per revoke, got %d: %s", lines, logs.String())
	}
}

// A revocation by no session (an operator) records the revoked session's own ip, as
// SessionEvent decides for an event without an actor.
func TestRevokeSessionAuditedWithoutActor(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, s := deviceSessions(t, store, "no-actor@example.com", mac, win)
	now := time.Now().Truncate(time.Microsecond)
	ended, err := store.RevokeSessionAudited(ctx, user.ID, s[1].ID, nil, "revoked", now, db.EventSessionRevoked)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := store.AuditEvents(ctx, user.ID, nil, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("want 1 event, got %d (%v)", len(rows), err)
	}
	if rows[0].IP != s[1].IP || rows[0].ActorSessionID.Valid {
		t.Errorf("event ip %q actor %v; want the session's ip %q and no actor", rows[0].IP, rows[0].ActorSessionID, s[1].IP)
	}
	assertRuleEvent(t, rows[0], db.SessionEvent(db.EventSessionRevoked, ended, nil, now))
}

// assertRuleEvent checks that the event the revoke statement stored is the one
// db.SessionEvent builds, so the SQL cannot drift from the one place that decides fields.
func assertRuleEvent(t *testing.T, stored, rule db.AuditEvent) {
	t.Helper()
	if !stored.CreatedAt.Equal(rule.CreatedAt) {
		t.Errorf("stored event at %v, SessionEvent says %v", stored.CreatedAt, rule.CreatedAt)
	}
	rule.ID, rule.CreatedAt = stored.ID, stored.CreatedAt
	if !reflect.DeepEqual(stored, rule) {
		t.Errorf("stored event differs from db.SessionEvent:\n got %+v\nwant %+v", stored, rule)
	}
}

// Nothing is revoked and nothing is written for a session that is already revoked,
// unknown or another user's.
func TestRevokeSessionAuditedNotFound(t *testing.T) {
	store := dbtest.NewStore(t)
	var logs bytes.Buffer
	store.LogAuditEvents(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	user, s := deviceSessions(t, store, "ada@example.com", mac, win)
	eve, theirs := deviceSessions(t, store, "eve@example.com", phone)
	if _, err := store.RevokeSessionAudited(ctx, user.ID, s[1].ID, &s[0], "revoked", time.Now(), db.EventSessionRevoked); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, id string }{
		{"already revoked", s[1].ID},
		{"unknown", "0b6e8f3c-8d7e-4f5e-9b1a-2f8f9c1d2e3f"},
		{"another user's", theirs[0].ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.RevokeSessionAudited(ctx, user.ID, tt.id, &s[0], "revoked", time.Now(), db.EventSessionRevoked)
			if !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		})
	}
	if n := countEvents(t, store, user.ID) + countEvents(t, store, eve.ID); n != 1 {
		t.Errorf("%d events; want only the first revoke's", n)
	}
	if n := strings.Count(logs.String(), "msg=audit "); n != 1 {
		t.Errorf("%d audit log lines; want 1", n)
	}
	if row, err := store.UserSession(ctx, eve.ID, theirs[0].ID); err != nil || row.RevokedAt.Valid {
		t.Errorf("another user's session was touched: %+v %v", row, err)
	}
}

// Racing revokes of one session: exactly one wins, and there is exactly one event.
func TestRevokeSessionAuditedOnce(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	user, s := deviceSessions(t, store, "race@example.com", mac, win)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := store.RevokeSessionAudited(ctx, user.ID, s[1].ID, &s[0], "revoked", time.Now(), db.EventSessionRevoked)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, db.ErrNotFound):
			t.Errorf("racing revoke: %v", err)
		}
	}
	if won != 1 || countEvents(t, store, user.ID) != 1 {
		t.Errorf("%d revokes won, %d events; want 1 and 1", won, countEvents(t, store, user.ID))
	}
}

// Concurrent revokes of one user's sessions queue for the user's row instead of sharing
// it first: no multixacts (they made such revokes several times slower).
func TestRevokeSessionAuditedConcurrentNoMultixacts(t *testing.T) {
	store := dbtest.NewStore(t)
	ctx := context.Background()
	const workers, each = 8, 10
	devices := make([][3]string, 1+workers*each)
	for i := range devices {
		devices[i] = phone
	}
	user, s := deviceSessions(t, store, "busy@example.com", devices...)
	multixacts := func() int64 {
		var n int64
		if err := store.DB().GetContext(ctx, &n, `SELECT mxid_age('1'::xid)`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := multixacts()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for _, target := range s[1+w*each : 1+(w+1)*each] {
				if _, err := store.RevokeSessionAudited(ctx, user.ID, target.ID, &s[0], "revoked", time.Now(), db.EventSessionRevoked); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := multixacts() - before; n != 0 {
		t.Errorf("%d multixacts for %d revokes; want none", n, workers*each)
	}
	if n := countEvents(t, store, user.ID); n != workers*each {
		t.Errorf("%d events; want %d", n, workers*each)
	}
}
