package handlers_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const uaPythonRequests = "python-requests/2.32.3"

var rowOpen = regexp.MustCompile(`<tr id="session-([0-9a-f-]{36})"( class="[^"]+")?>`)

// flaggedIDs is the flagged rows of a page or fragment, in order.
func flaggedIDs(page string) []string {
	var ids []string
	for _, m := range rowOpen.FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[2], "flagged") {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// rowOf is the row of session id in page, from <tr to </tr>.
func rowOf(t *testing.T, page, id string) string {
	t.Helper()
	at := strings.Index(page, `<tr id="session-`+id+`"`)
	if at < 0 {
		t.Fatalf("no row %s in:\n%s", id, page)
	}
	row := page[at:]
	return row[:strings.Index(row, "</tr>")+5]
}

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
	if strings.Contains(row, "Far from your usual places") {
		t.Error("a first visit to a country is also called far")
	}
	// One "Not you?" on the page, on the script's row; "This was me" on every flagged row,
	// after its Revoke, submitting the table's one form with the row's id.
	if n := strings.Count(page, "Not you? Secure your account"); n != 1 || !strings.Contains(row, "Not you? Secure your account") {
		t.Errorf("%d 'Not you?' actions, want one, on the script's row", n)
	}
	flagged := flaggedIDs(page)
	if len(flagged) != 3 || flagged[0] != scriptID {
		t.Fatalf("flagged rows %q, want the script's and the two new devices'", flagged)
	}
	for _, id := range flagged {
		r := rowOf(t, page, id)
		at := strings.Index(r, `<button form="mine" name="id" value="`+id+`">This was me</button>`)
		if at < 0 || at < strings.Index(r, `/revoke"><button aria-label="Revoke `) {
			t.Errorf("row %s has no 'This was me' after its Revoke:\n%s", id, r)
		}
	}
	mine := regexp.MustCompile(`<form id="mine" method="post" action="/app/settings/security/sessions/confirm" hx-boost="push:false"><input type="hidden" name="_csrf" value="([^"]+)"></form>`)
	form := mine.FindStringSubmatch(page)
	if form == nil || strings.Count(page, `id="mine"`) != 1 {
		t.Fatalf("no single form for the rows' 'This was me':\n%s", page)
	}
	// The dialog's "This was me" swaps the same row.
	q := home.htmx("GET", "/app/settings/security/sessions/"+scriptID+"/revoke")
	if !strings.Contains(q.body, `action="/app/settings/security/sessions/`+scriptID+`/confirm" class="this-was-me"`) ||
		!strings.Contains(q.body, `hx-target="#session-`+scriptID+`" hx-swap="outerHTML"`) {
		t.Fatalf("the question offers no 'This was me' that swaps the row:\n%s", q.body)
	}
	// htmx: the row comes back unflagged, and out of band the next flagged row, which holds
	// "Not you?" now; both exactly as a fresh page renders them.
	hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": home.csrf(), "Content-Type": "application/x-www-form-urlencoded"}
	r := home.do("POST", "/app/settings/security/sessions/confirm", url.Values{"id": {scriptID}}.Encode(), hx)
	if r.status != 200 || r.header.Get("HX-Retarget") != "#session-"+scriptID || r.header.Get("HX-Reswap") != "outerHTML" ||
		!strings.HasPrefix(r.body, `<tr id="session-`+scriptID+`">`) || strings.Contains(r.body, `<div id="sessions"`) ||
		strings.Contains(r.body, "<html") || !strings.Contains(r.body, `<hx-partial hx-target="#live">Marked as yours: Python Requests.</hx-partial>`) {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	page = home.get("/app/settings/security").body
	next := flaggedIDs(page)
	if len(next) != 2 || strings.Count(page, "Not you? Secure your account") != 1 || !strings.Contains(rowOf(t, page, next[0]), "Not you?") {
		t.Fatalf("after the script's 'This was me': flagged %q, and 'Not you?' not once on the first of them", next)
	}
	if got, want := r.body[:strings.Index(r.body, "</tr>")+5], rowOf(t, page, scriptID); got != want {
		t.Errorf("the swapped row differs from the page's:\n got %s\nwant %s", got, want)
	}
	if want := `<hx-partial hx-target="#session-` + next[0] + `" hx-swap="outerHTML">` + rowOf(t, page, next[0]); !strings.Contains(r.body, want) {
		t.Errorf("the answer does not hand 'Not you?' to the next flagged row as the page shows it:\n%s\nwant %s", r.body, want)
	}
	// Revoking the row that holds it hands it on too (the fresh table).
	r = home.htmx("DELETE", "/app/settings/security/sessions/"+next[0])
	if r.status != 200 || strings.Count(r.body, "Not you? Secure your account") != 1 || !strings.Contains(rowOf(t, r.body, next[1]), "Not you?") {
		t.Fatalf("after revoking the row with 'Not you?', the last flagged row does not hold it: %d\n%s", r.status, r.body)
	}
	// Without JavaScript: the button posts the table's form, its token and the row's id,
	// and the page comes back at the row, where nothing is flagged any more.
	r = home.do("POST", "/app/settings/security/sessions/confirm", url.Values{"_csrf": {form[1]}, "id": {next[1]}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security#session-"+next[1] {
		t.Fatalf("no-JS confirm: %d, Location %q", r.status, r.header.Get("Location"))
	}
	page = home.get("/app/settings/security").body
	if ids := flaggedIDs(page); len(ids) != 0 || strings.Contains(page, "Not you? Secure your account") || strings.Contains(page, "This was me") || strings.Contains(page, `id="mine"`) {
		t.Errorf("every row confirmed or revoked, yet flagged %q or an action left", ids)
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
