package handlers_test

import (
	"regexp"
	"strings"
	"testing"
)

const uaPythonRequests = "python-requests/2.32.3"

var rowOpen = regexp.MustCompile(`<tr id="session-([0-9a-f-]{36})"( class="[^"]+")?>`)

// A script signing in from a country the account never used is the row to worry about:
// flagged with its reasons as words, sorted right after the current session, holding the
// one "Not you?" action; "This was me" takes the flags away for good. A sign-in after a
// wrong password says so.
func TestRiskyRowIsFlaggedSortedSecondAndConfirmable(t *testing.T) {
	e := newGeoEnv(t)
	home := e.client(uaChromeMac)
	mustOK(t, home.signUpFrom("85.214.132.117", "risk@example.com"))
	script := e.client(uaPythonRequests)
	if r := script.signInFrom("41.58.1.2", "risk@example.com", "wrong password, twice over"); r.status == 200 {
		t.Fatal("a wrong password signed in")
	}
	mustOK(t, script.signInFrom("41.58.1.2", "risk@example.com", testPassword))
	// Two later, ordinary sign-ins from home: newer rows, yet the script's stays second.
	for _, ua := range []string{uaFirefoxWin, uaSafariPhone} {
		mustOK(t, e.client(ua).signInFrom("85.214.132.117", "risk@example.com", testPassword))
	}
	page := home.do("GET", "/app/settings/security", "", home.from("85.214.132.117")).body
	rows := rowOpen.FindAllStringSubmatch(page, -1)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	scriptID := script.currentID()
	if rows[0][2] != ` class="current"` || rows[1][1] != scriptID || rows[1][2] != ` class="flagged"` {
		t.Fatalf("the script's row is not flagged right after the current one: %q", rows)
	}
	row := page[strings.Index(page, rows[1][0]):]
	row = row[:strings.Index(row, "</tr>")]
	for _, badge := range []string{"Not a browser", "First sign-in from this country", "After a wrong password", "New device"} {
		if !strings.Contains(row, `<strong class="risk">`+badge+`</strong>`) {
			t.Errorf("the script's row lacks the badge %q:\n%s", badge, row)
		}
	}
	if n := strings.Count(page, "Not you? Secure your account"); n != 3 { // the script and the two new devices
		t.Errorf("%d 'Not you?' actions, want one per flagged row (3)", n)
	}
	if strings.Contains(row, "Far from your usual places") {
		t.Error("a first visit to a country is also called far")
	}
	// "This was me", asked in the row's revoke question and posted from there.
	q := home.htmx("GET", "/app/settings/security/sessions/"+scriptID+"/revoke")
	if !strings.Contains(q.body, `action="/app/settings/security/sessions/`+scriptID+`/confirm" class="this-was-me"`) {
		t.Fatalf("the question offers no 'This was me':\n%s", q.body)
	}
	r := home.htmx("POST", "/app/settings/security/sessions/"+scriptID+"/confirm")
	if r.status != 200 || !strings.Contains(r.body, `<div id="sessions"`) || !strings.Contains(r.body, "Marked as yours: Python Requests.") {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	page = home.get("/app/settings/security").body
	if strings.Contains(page, `<tr id="session-`+scriptID+`" class="flagged">`) {
		t.Error("the confirmed row is still flagged")
	}
	// Another user's session, or nonsense, cannot be confirmed: the fresh table, no change.
	other := e.client(uaChromeMac)
	mustOK(t, other.signUpFrom("85.214.132.117", "other@example.com"))
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-an-id", other.currentID()} {
		if r := home.htmx("POST", "/app/settings/security/sessions/"+id+"/confirm"); r.status != 200 || strings.Contains(r.body, "Marked as yours") {
			t.Errorf("confirming %q: %d %s", id, r.status, r.body)
		}
	}
}
