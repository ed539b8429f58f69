package handlers_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/docodego/sessions/db"
)

// Revoking another session costs two database round trips, the token lookup and one
// statement that revokes and audits together; both writes are there afterwards.
func TestAPIRevokeSessionRoundTrips(t *testing.T) {
	e := newEnv(t)
	mac := e.client(uaChromeMac)
	mac.signUp("trips@example.com")
	macID := mac.currentID()
	var others []string
	for range 5 {
		phone := e.client(uaSafariPhone)
		phone.signIn("trips@example.com")
		others = append(others, phone.currentID())
	}
	revoke := func(id string) {
		t.Helper()
		if r := mac.do("DELETE", "/api/auth/sessions/"+id+"/", "", nil); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
	}
	for _, id := range others[:3] { // warm up: statements are prepared once per connection
		revoke(id)
	}
	for _, id := range others[3:] {
		before := e.store.RoundTrips()
		revoke(id)
		if n := e.store.RoundTrips() - before; n != 2 {
			t.Errorf("DELETE of another session: %d database round trips; want 2", n)
		}
	}

	ctx := context.Background()
	user, err := e.store.UserByEmail(ctx, "trips@example.com")
	if err != nil {
		t.Fatal(err)
	}
	actor, err := e.store.UserSession(ctx, user.ID, macID)
	if err != nil {
		t.Fatal(err)
	}
	id := others[4]
	ended, err := e.store.UserSession(ctx, user.ID, id)
	if err != nil || !ended.RevokedAt.Valid || ended.RevokedBySessionID.String != macID || ended.RevokeReason != "revoked" {
		t.Fatalf("the revocation is not stored: %+v %v", ended, err)
	}
	rows := events(t, e, "trips@example.com")
	if got := countType(rows, db.EventSessionRevoked); got != len(others) {
		t.Fatalf("%d session_revoked events; want %d", got, len(others))
	}
	got := rows[0]
	want := db.AuditEvent{
		ID: got.ID, UserID: user.ID, Type: db.EventSessionRevoked, SessionID: db.NullID(id),
		ActorSessionID: db.NullID(macID), IP: actor.IP, DeviceLabel: ended.Label, CreatedAt: got.CreatedAt,
		Details: db.Details{"browser": ended.Browser, "os": ended.OS, "actor_browser": actor.Browser, "actor_os": actor.OS},
	}
	if !reflect.DeepEqual(got, want) || !got.CreatedAt.Equal(ended.RevokedAt.Time) ||
		ended.Label != "Safari on iPhone" || actor.Browser != "Chrome" {
		t.Errorf("revoke event:\n got %+v\nwant %+v (created at the revocation, %v)", got, want, ended.RevokedAt.Time)
	}
	if n := strings.Count(e.logs.String(), "type=session_revoked"); n != len(others) {
		t.Errorf("%d audit log lines for %d revokes", n, len(others))
	}
	if list := mac.sessions(); len(list) != 1 || list[0].ID != macID {
		t.Errorf("revoked sessions still listed: %+v", list)
	}
}

// A refused revoke writes nothing: no event, no log line, no session touched.
func TestAPIRevokeSessionRefusedWritesNothing(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	eve := e.client(uaFirefoxWin)
	eve.signUp("eve@example.com")
	winID, deskID := win.currentID(), desk.currentID()
	if r := mac.do("DELETE", "/api/auth/sessions/"+deskID, "", nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	tests := []struct {
		name   string
		who    *client
		id     string
		status int
		code   string
	}{
		{"already revoked", mac, deskID, 404, "session_not_found"},
		{"another user's session", eve, winID, 404, "session_not_found"},
		{"malformed id", mac, "not-a-uuid", 404, "session_not_found"},
		{"current session", mac, mac.currentID(), 409, "current_session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.do("DELETE", "/api/auth/sessions/"+tt.id+"/", "", nil)
			if r.status != tt.status || !strings.Contains(r.body, `"error":"`+tt.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	if n := countType(events(t, e, "ada@example.com"), db.EventSessionRevoked); n != 1 {
		t.Errorf("%d session_revoked events; want the first revoke's only", n)
	}
	if n := len(events(t, e, "eve@example.com")); n != 1 {
		t.Errorf("eve has %d events; want her sign-up only", n)
	}
	if n := strings.Count(e.logs.String(), "type=session_revoked"); n != 1 {
		t.Errorf("%d audit log lines for one revoke", n)
	}
	if n := len(mac.sessions()); n != 2 {
		t.Errorf("want 2 live sessions, got %d", n)
	}
}
