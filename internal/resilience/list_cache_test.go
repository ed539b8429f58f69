package resilience_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/internal/testserver"
)

// listedSessions is the JSON list as the client sees it, by id.
func listedSessions(t *testing.T, srv *testserver.Server, token string) map[string]time.Time {
	t.Helper()
	a := mustCall(t, "GET", srv.URL+"/api/auth/sessions/", token, "")
	if a.status != 200 {
		t.Fatalf("list: %d %s", a.status, a.body)
	}
	var out struct {
		Sessions []struct {
			ID           string    `json:"id"`
			LastActiveAt time.Time `json:"last_active_at"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(a.body), &out); err != nil {
		t.Fatalf("list: %v in %s", err, a.body)
	}
	ids := map[string]time.Time{}
	for _, s := range out.Sessions {
		ids[s.ID] = s.LastActiveAt
	}
	return ids
}

// A write through the other instance (sign-in, revocation, last-seen touch) shows on the
// very next read, list and page alike: no instance keeps users' lists in memory.
func TestListFollowsWritesOfTheOtherInstance(t *testing.T) {
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}
	a := testserver.Start(t, testserver.Options{Auth: &cfg})
	b := testserver.Start(t, testserver.Options{DSN: a.DSN, Auth: &cfg})
	ctx := context.Background()

	laptop := signIn(t, a, "cache@example.test", true)
	phone := signIn(t, a, "cache@example.test", false)
	phoneID := currentSessionID(t, a, phone)
	for range 3 {
		if got := listedSessions(t, b, laptop); len(got) != 2 {
			t.Fatalf("b lists %d sessions; want 2", len(got))
		}
		mustCall(t, "GET", b.URL+"/app/settings/security", laptop, "")
	}

	tablet := signIn(t, a, "cache@example.test", false)
	tabletID := currentSessionID(t, a, tablet)
	if got := listedSessions(t, b, laptop); len(got) != 3 {
		t.Errorf("after a sign-in through a, b lists %d sessions; want 3", len(got))
	}
	if page := mustCall(t, "GET", b.URL+"/app/settings/security", laptop, ""); !strings.Contains(page.body, tabletID) {
		t.Errorf("after a sign-in through a, b's page does not show the new session")
	}

	if got := mustCall(t, "DELETE", a.URL+"/api/auth/sessions/"+tabletID+"/", laptop, ""); got.status != 204 {
		t.Fatalf("revoke through a: %d %s", got.status, got.body)
	}
	if _, listed := listedSessions(t, b, laptop)[tabletID]; listed {
		t.Errorf("b still lists the session revoked through a")
	}
	if page := mustCall(t, "GET", b.URL+"/app/settings/security", laptop, ""); strings.Contains(page.body, `id="session-`+tabletID) {
		t.Errorf("b's page still shows the session revoked through a as a row")
	}

	// The phone was last seen ten minutes ago (backdated here, and announced so b sees it);
	// its next request, through a, touches it, and b shows that at once.
	if _, err := a.Store.DB().ExecContext(ctx, `UPDATE sessions SET last_seen_at = now() - interval '10 minutes' WHERE id = $1`, phoneID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.DB().ExecContext(ctx, `UPDATE users SET name = name WHERE email = 'cache@example.test'`); err != nil {
		t.Fatal(err) // the test's own backdating: announce it, as a real change would be
	}
	if seen := listedSessions(t, b, laptop)[phoneID]; time.Since(seen) < 9*time.Minute {
		t.Fatalf("phone last active %v ago; want ~10 minutes", time.Since(seen))
	}
	mustCall(t, "GET", a.URL+"/api/users/me/current-session/", phone, "")
	if seen := listedSessions(t, b, laptop)[phoneID]; time.Since(seen) > time.Minute {
		t.Fatalf("b still shows the phone last active %v ago after its touch", time.Since(seen))
	}
}

// A revocation answered by the same instance never shows the list from before it, even
// while that instance has the list in memory (the htmx answer re-reads it at once).
func TestListCacheForgetsOnItsOwnWrites(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	laptop := signIn(t, srv, "own@example.test", true)
	phone := signIn(t, srv, "own@example.test", false)
	phoneID := currentSessionID(t, srv, phone)
	for range 3 {
		listedSessions(t, srv, laptop)
	}
	if got := mustCall(t, "DELETE", srv.URL+"/api/auth/sessions/"+phoneID+"/", laptop, ""); got.status != 204 {
		t.Fatalf("revoke: %d %s", got.status, got.body)
	}
	if _, listed := listedSessions(t, srv, laptop)[phoneID]; listed {
		t.Errorf("the list still shows the session just revoked")
	}
}
