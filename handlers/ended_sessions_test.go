package handlers_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/docodego/sessions/auth"
)

// withEnded signs up a person and ends n other sessions of theirs (each signed out on its
// own device); it returns the first, still signed in.
func withEnded(t *testing.T, n int) (*env, *client) {
	t.Helper()
	e := newEnv(t)
	me := e.client(uaChromeMac)
	me.signUp("ended@example.com")
	for range n {
		gone := e.client(uaFirefoxWin)
		gone.signIn("ended@example.com")
		if r := gone.json("POST", "/api/auth/sign-out", ""); r.status != 200 {
			t.Fatalf("sign out: %d", r.status)
		}
	}
	return e, me
}

// endedCard is the "Recently ended sessions" card of a page or fragment.
func endedCard(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `<section id="ended-sessions-card"`)
	if i < 0 {
		t.Fatalf("no ended sessions card in:\n%s", body)
	}
	return body[i : i+strings.Index(body[i:], "</section>")]
}

const showAllEnded = `<a href="/app/settings/security?ended=all#ended-sessions" hx-get="/app/settings/security/ended"`

// The page lists the latest auth.EndedShown ended sessions and, when there are more, "Show
// all ended sessions"; the heading counts them all.
func TestEndedSessionsShowTheLatestTen(t *testing.T) {
	for _, tc := range []struct {
		ended, listed int
		more          bool
	}{{12, auth.EndedShown, true}, {auth.EndedShown, auth.EndedShown, false}, {3, 3, false}} {
		_, me := withEnded(t, tc.ended)
		card := endedCard(t, me.get("/app/settings/security").body)
		if n := strings.Count(card, "\n<li"); n != tc.listed {
			t.Errorf("%d ended: %d listed, want %d", tc.ended, n, tc.listed)
		}
		if got := strings.Contains(card, showAllEnded+` hx-target="#ended-sessions-card" hx-swap="outerHTML"`); got != tc.more {
			t.Errorf("%d ended: Show all offered %v, want %v:\n%s", tc.ended, got, tc.more, card)
		}
		if want := "Recently ended sessions (" + strconv.Itoa(tc.ended) + ")"; !strings.Contains(card, want) {
			t.Errorf("%d ended: heading is not %q:\n%s", tc.ended, want, card)
		}
		if !strings.Contains(card, `<details id="ended-sessions">`) || strings.Contains(card, "data-autofocus") {
			t.Errorf("%d ended: the list is not collapsed, or a row asks for focus:\n%s", tc.ended, card)
		}
	}
}

// "?ended=all" (the link without JavaScript) lists every one, open; the htmx "Show all"
// gets the same card alone, with focus asked for on the first row it adds; any other value
// of ended is ignored.
func TestShowAllEndedSessions(t *testing.T) {
	e, me := withEnded(t, 12)

	all := me.get("/app/settings/security?ended=all")
	card := endedCard(t, all.body)
	if all.status != 200 || strings.Count(card, "\n<li") != 12 || strings.Contains(card, showAllEnded) ||
		!strings.Contains(card, `<details id="ended-sessions" open>`) || !strings.Contains(card, `data-ended="all"`) {
		t.Errorf("?ended=all: %d\n%s", all.status, card)
	}

	frag := me.htmx("GET", "/app/settings/security/ended")
	if frag.status != 200 || strings.Contains(frag.body, "<html") || !strings.HasPrefix(strings.TrimSpace(frag.body), `<section id="ended-sessions-card"`) {
		t.Fatalf("fragment: %d\n%s", frag.status, frag.body)
	}
	card = endedCard(t, frag.body)
	rows := strings.Split(card, "\n<li")[1:]
	if len(rows) != 12 || !strings.Contains(card, `<details id="ended-sessions" open>`) || strings.Contains(card, showAllEnded) {
		t.Errorf("fragment lists %d, or is not open, or offers Show all:\n%s", len(rows), card)
	}
	for i, r := range rows {
		if focus := strings.HasPrefix(r, ` tabindex="-1" data-autofocus>`); focus != (i == auth.EndedShown) {
			t.Errorf("row %d asks for focus: %v", i, focus)
		}
	}

	// Without htmx the route leads to the page that lists them all.
	if r := me.get("/app/settings/security/ended"); r.status != 303 || r.header.Get("Location") != "/app/settings/security?ended=all#ended-sessions" {
		t.Errorf("without htmx: %d %q", r.status, r.header.Get("Location"))
	}

	for _, bad := range []string{"ALL", "all2", "1", "", "%00", "all%0D%0A", "al%C3%28l"} {
		r := me.get("/app/settings/security?ended=" + bad)
		card := endedCard(t, r.body)
		if r.status != 200 || strings.Count(card, "\n<li") != auth.EndedShown || !strings.Contains(card, showAllEnded) {
			t.Errorf("ended=%s: %d, want the page as without it:\n%s", bad, r.status, card)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("an ERROR was logged:\n%s", logs)
	}
}

// A live update of a page showing every ended session keeps showing them all (app.js adds
// ended=all); one of a page showing the latest ten keeps ten.
func TestLiveUpdateKeepsAllEndedSessions(t *testing.T) {
	_, me := withEnded(t, 12)
	for _, tc := range []struct {
		query  string
		listed int
		open   bool
	}{{"", auth.EndedShown, false}, {"&ended=all", 12, true}} {
		r := me.htmx("GET", "/app/settings/security/live?op=&session="+tc.query)
		if r.status != 200 {
			t.Fatalf("live%s: %d", tc.query, r.status)
		}
		card := endedCard(t, r.body)
		if n := strings.Count(card, "\n<li"); n != tc.listed {
			t.Errorf("live%s: %d listed, want %d", tc.query, n, tc.listed)
		}
		if open := strings.Contains(card, `data-ended="all"`) && strings.Contains(card, "<details id=\"ended-sessions\" open>"); open != tc.open {
			t.Errorf("live%s: keeps all %v, want %v", tc.query, open, tc.open)
		}
		if strings.Contains(card, "data-autofocus") {
			t.Errorf("live%s: a live update asks for focus", tc.query)
		}
	}
}
