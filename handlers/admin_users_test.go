package handlers_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var supportRowID = regexp.MustCompile(`id="session-([0-9a-f-]{36})"`)

// supportSetup: an administrator, and a person signed in on a phone and a laptop.
func supportSetup(t *testing.T) (e *env, admin, phone, laptop *client, personID string) {
	t.Helper()
	e = newEnv(t)
	admin = newAdmin(t, e)
	phone = e.client(uaSafariPhone)
	phone.signUp("person@example.com")
	laptop = e.client(uaFirefoxWin)
	laptop.signIn("person@example.com")
	u, err := e.store.UserByEmail(context.Background(), "person@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return e, admin, phone, laptop, u.ID
}

// phoneSessionID reads the phone's session id from the admin's view of the person.
func phoneSessionID(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, "iPhone")
	if i < 0 {
		t.Fatalf("the support page does not show the phone: %.2000s", page)
	}
	m := supportRowID.FindAllStringSubmatch(page[:i], -1)
	if len(m) == 0 {
		t.Fatalf("no session row before the phone")
	}
	return m[len(m)-1][1]
}

// An administrator finds the person by email, sees their sessions as they do (never a
// token or cookie), and ends the phone's with a reason: the phone is told why, the
// person's own page and activity say "Ended by an administrator" with the reason, in
// their language, and both audit trails have it.
func TestSupportEndsASessionWithAReason(t *testing.T) {
	e, admin, phone, laptop, personID := supportSetup(t)
	found := admin.get("/admin/users?q=PERSON@")
	if found.status != 200 || !strings.Contains(found.body, `href="/admin/users/`+personID+`"`) || !strings.Contains(found.body, "2 active sessions") {
		t.Fatalf("search: %d %.1500s", found.status, found.body)
	}
	page := admin.get("/admin/users/" + personID)
	if page.status != 200 || !strings.Contains(page.body, "Firefox") || !strings.Contains(page.body, "Recent security activity") {
		t.Fatalf("person page: %d %.1500s", page.status, page.body)
	}
	// Each session's facts beyond its row: when it was last active and when it ends.
	if n := len(regexp.MustCompile(`Last active: [^<·]+ · Expires <time datetime="\d{4}-[^"]+">in [^<]+</time>`).FindAllString(page.body, -1)); n != 2 {
		t.Errorf("the person page tells last activity and end of %d of 2 sessions: %.3000s", n, page.body)
	}
	for name, value := range phone.cookies {
		if len(value) > 8 && strings.Contains(page.body, value) {
			t.Errorf("the admin page shows the phone's %s cookie", name)
		}
	}
	sid := phoneSessionID(t, page.body)
	r := admin.form("/admin/users/"+personID+"/sessions/"+sid+"/end", url.Values{"reason": {"lost_device"}, "note": {"Called from the shop, ticket 42"}})
	if r.status != 303 || r.header.Get("Location") != "/admin/users/"+personID+"?ended=1" {
		t.Fatalf("end: %d %q %.500s", r.status, r.header.Get("Location"), r.body)
	}
	if got := admin.get(r.header.Get("Location")); !strings.Contains(got.body, "1 session ended.") || strings.Contains(got.body, `id="session-`+sid+`"`) {
		t.Errorf("the admin's page after the end: %.1500s", got.body)
	}
	// The phone's page and its API answers.
	if got := phone.get("/app/settings/security"); got.status != 303 || got.header.Get("Location") != "/login?ended=admin&reason=lost_device" {
		t.Fatalf("phone page: %d %q", got.status, got.header.Get("Location"))
	}
	if got := phone.get("/login?ended=admin&reason=lost_device"); !strings.Contains(got.body, "Ended by an administrator: the device was reported lost or stolen.") {
		t.Errorf("the phone's sign-in page: %.1500s", got.body)
	}
	// The laptop's page, in German.
	laptop.cookies["lang"] = "de"
	own := laptop.get("/app/settings/security")
	for _, want := range []string{"Von einem Administrator beendet: das Gerät wurde als verloren oder gestohlen gemeldet",
		"Ein Administrator hat die Sitzung auf"} {
		if !strings.Contains(own.body, want) {
			t.Errorf("the person's page lacks %q", want)
		}
	}
	// Audit: the admin's request (who, from where, the person) and the person's event (reason, note).
	entries, err := e.store.AdminAudit(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	var audited bool
	for _, en := range entries {
		audited = audited || en.Action == "POST /admin/users/:id/sessions/:sid/end" && en.TargetUserID.String == personID &&
			en.ActorEmail == "admin@example.com" && en.Status == 303 && en.IP != ""
	}
	if !audited {
		t.Errorf("no admin audit entry for the end: %+v", entries)
	}
	events, err := e.store.AuditEvents(context.Background(), personID, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Type != "session_ended_by_admin" || events[0].Details.String("reason") != "lost_device" ||
		events[0].Details.String("note") != "Called from the shop, ticket 42" || events[0].SessionID.String != sid {
		t.Errorf("the person's event: %+v", events[0])
	}
}

// The JSON API: find, read (no secret), end all; the device's API answer says why.
func TestSupportAPI(t *testing.T) {
	_, admin, phone, _, personID := supportSetup(t)
	csrf := admin.get("/api/admin/me")
	m := regexp.MustCompile(`"csrf_token":"([^"]+)"`).FindStringSubmatch(csrf.body)
	if m == nil {
		t.Fatalf("me: %s", csrf.body)
	}
	headers := map[string]string{"Content-Type": "application/json", "X-CSRF-Token": m[1]}
	if r := admin.get("/api/admin/users?q=person"); r.status != 200 || !strings.Contains(r.body, `"id":"`+personID+`"`) || !strings.Contains(r.body, `"live_sessions":2`) {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	r := admin.get("/api/admin/users/" + personID)
	if r.status != 200 || strings.Count(r.body, `"user_agent"`) != 2 || strings.Contains(r.body, "token") || strings.Contains(r.body, "hash") {
		t.Fatalf("person: %d %s", r.status, r.body)
	}
	bad := admin.do("POST", "/api/admin/users/"+personID+"/sessions/end", `{"reason":"because"}`, headers)
	if bad.status != 422 || !strings.Contains(bad.body, `"error":"invalid_reason"`) {
		t.Fatalf("bad reason: %d %s", bad.status, bad.body)
	}
	r = admin.do("POST", "/api/admin/users/"+personID+"/sessions/end", `{"reason":"account_compromised","note":""}`, headers)
	if r.status != 200 || strings.Count(r.body, "-") < 8 {
		t.Fatalf("end all: %d %s", r.status, r.body)
	}
	got := phone.json("GET", "/api/auth/sessions", "")
	if got.status != 401 || !strings.Contains(got.body, `"error":"session_revoked_by_admin"`) || !strings.Contains(got.body, "may have been taken over") {
		t.Fatalf("the phone's API: %d %s", got.status, got.body)
	}
	if r = admin.do("POST", "/api/admin/users/"+personID+"/sessions/end", `{"reason":"other","note":"again"}`, headers); r.status != 404 {
		t.Fatalf("nothing left to end: %d %s", r.status, r.body)
	}
}

// Bad input on every support form and route: a clear 4xx naming the field; nothing ended.
func TestSupportRefusesBadInput(t *testing.T) {
	e, admin, _, _, personID := supportSetup(t)
	page := admin.get("/admin/users/" + personID)
	sid := phoneSessionID(t, page.body)
	end := "/admin/users/" + personID + "/sessions/" + sid + "/end"
	for _, tc := range []struct {
		values      url.Values
		field, word string
	}{
		{url.Values{}, "reason", "Reason:"},
		{url.Values{"reason": {"bored"}}, "reason", "Reason:"},
		{url.Values{"reason": {"other"}}, "note", "Note for the record"},
		{url.Values{"reason": {"lost_device"}, "note": {strings.Repeat("x", 501)}}, "note", "at most 500"},
		{url.Values{"reason": {"lost_device"}, "note": {"bell\x07"}}, "note", "control characters"},
	} {
		r := admin.form(end, tc.values)
		if r.status != 422 || !strings.Contains(r.body, tc.word) || !strings.Contains(r.body, "Nothing was ended.") ||
			!strings.Contains(r.body, `name="`+tc.field+`"`) || !regexp.MustCompile(`id="`+tc.field+`-`+sid+`"[^>]*aria-invalid="true"`).MatchString(r.body) {
			t.Errorf("%v: %d %.300s", tc.values, r.status, r.body)
		}
	}
	for path, want := range map[string]int{
		"/admin/users/not-a-uuid":                                     404,
		"/admin/users/00000000-0000-4000-8000-000000000009":           404,
		"/admin/users?q=" + url.QueryEscape(strings.Repeat("a", 300)): 400,
		"/admin/users?q=%07":                                          400,
		"/api/admin/users?q=" + "%0A":                                 400,
		"/api/admin/users/not-a-uuid":                                 404,
	} {
		if r := admin.get(path); r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
	}
	if r := admin.form("/admin/users/"+personID+"/sessions/not-a-session/end", url.Values{"reason": {"lost_device"}}); r.status != 404 {
		t.Errorf("a malformed session id: %d", r.status)
	}
	n := 0
	sessions, err := e.store.ActiveSessions(context.Background(), personID, time.Now(), time.Now().Add(-24*7*time.Hour), time.Now().Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n = len(sessions)
	if n != 2 {
		t.Fatalf("a refused request ended something: %d live sessions", n)
	}
}
