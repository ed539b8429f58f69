package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/internal/testserver"
)

// apiPerson is someone signed in through the JSON API with a cookie jar of their own.
type apiPerson struct {
	t    *testing.T
	base string
	http *http.Client
}

func signUpAPI(t *testing.T, base, email string) *apiPerson {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &apiPerson{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 5 * time.Second}}
	resp, err := p.http.Post(base+"/api/auth/sign-up/email", "application/json",
		strings.NewReader(`{"name":"Pat","email":"`+email+`","password":"`+password+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign up on %s: %v %v", base, err, resp)
	}
	resp.Body.Close()
	return p
}

// idleEnd is when the person's current session ends if unused, as the instance says.
func (p *apiPerson) idleEnd() (time.Time, int) {
	p.t.Helper()
	resp, err := p.http.Get(p.base + "/api/users/me/current-session")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.ExpiresAt, resp.StatusCode
}

// Acceptance (issue 25): in Chromium an administrator changes the idle timeout on
// /admin/security/policies of one instance; within a second a second instance on the same
// database enforces it (its answer for a person's session has the new end, and a session
// idle past the new timeout is refused there); the history row shows who changed it.
func TestAdminChangesIdleTimeoutOnEveryInstance(t *testing.T) {
	a := start(t)
	b := testserver.Start(t, testserver.Options{DSN: a.DSN})
	admin := newDevice(t, "admin (Chrome)", uaChrome)
	admin.signUp(a, "Ada Admin", "ada@example.com")
	if _, err := auth.NewRoster(a.Store).Grant(context.Background(), "ada@example.com", "e2e", "e2e"); err != nil {
		t.Fatal(err)
	}
	person := signUpAPI(t, b.URL, "pat@example.com")
	if end, status := person.idleEnd(); status != 200 || end.Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("before: %d, session ends %s", status, end)
	}

	admin.open(a.URL + "/admin/security/policies")
	admin.waitFor("the policies form", `document.getElementById("idle_timeout") !== null`)
	admin.audit("policies page")
	admin.do(
		chromedp.Evaluate[chromedp.Void](`document.getElementById("idle_timeout").select()`),
		chromedp.SendKeys(chromedp.ID("idle_timeout"), "2m"),
		chromedp.Click(chromedp.CSS(`#policies-form button[type="submit"]`)),
	)
	admin.waitFor("the save to be confirmed", `(document.getElementById("policies-done")||{}).textContent === "1 policy changed. 0 sessions that no longer fit were ended."`)
	saved := time.Now()
	deadline := saved.Add(time.Second)
	for {
		end, status := person.idleEnd()
		if status == 200 && end.Before(time.Now().Add(3*time.Minute)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second after the save, instance B still ends the session at %s (%d)", end, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("instance B enforced the change %s after the admin saw it saved", time.Since(saved))
	row := admin.text("#policy-history tbody tr")
	if !strings.Contains(row, "Idle timeout") || !strings.Contains(row, "7d") || !strings.Contains(row, "2m") || !strings.Contains(row, "ada@example.com") {
		t.Errorf("history row = %q", row)
	}
	if v := eval[string](admin, `document.getElementById("idle_timeout").value`); v != "2m" {
		t.Errorf("the form shows %q after saving", v)
	}
	admin.audit("policies page after a save")

	later := time.Now().Add(3 * time.Minute)
	b.Handler.AuthService().SetClock(func() time.Time { return later })
	if _, status := person.idleEnd(); status != 401 {
		t.Fatalf("instance B let a session idle for 3 minutes through: %d", status)
	}
}
