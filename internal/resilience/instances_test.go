package resilience_test

import (
	"strings"
	"testing"

	"github.com/docodego/sessions/internal/testserver"
)

// Two app instances share one database (as behind a load balancer). A session revoked
// through one is refused by the other on its very next request: nothing caches validity.
func TestRevokeThroughOneInstanceRefusedByTheOther(t *testing.T) {
	a := testserver.Start(t, testserver.Options{})
	b := testserver.Start(t, testserver.Options{DSN: a.DSN})

	laptop := signIn(t, a, "two@example.test", true)
	phone := signIn(t, b, "two@example.test", false)
	phoneID := currentSessionID(t, b, phone)

	for _, srv := range []*testserver.Server{a, b} {
		if got := mustCall(t, "GET", srv.URL+"/api/auth/sessions/", phone, ""); got.status != 200 {
			t.Fatalf("phone before revoke: %d %s", got.status, got.body)
		}
	}
	if got := mustCall(t, "DELETE", a.URL+"/api/auth/sessions/"+phoneID+"/", laptop, ""); got.status != 204 {
		t.Fatalf("revoke through a: %d %s", got.status, got.body)
	}
	got := mustCall(t, "GET", b.URL+"/api/auth/sessions/", phone, "")
	if got.status != 401 || !strings.Contains(got.body, "session_revoked") {
		t.Errorf("phone's next request to b: %d %s; want 401 session_revoked", got.status, got.body)
	}
	if got := mustCall(t, "GET", b.URL+"/app/settings/security", phone, ""); got.status != 303 && got.status != 200 {
		t.Errorf("phone's page on b: %d", got.status)
	}
	if got := mustCall(t, "GET", b.URL+"/api/auth/sessions/", laptop, ""); got.status != 200 || strings.Contains(got.body, phoneID) {
		t.Errorf("laptop's list on b: %d, still lists the revoked session: %v", got.status, strings.Contains(got.body, phoneID))
	}
}
