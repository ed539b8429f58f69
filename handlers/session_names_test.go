package handlers_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// A person names a session: the name shows, escaped, in the table (beside the device) and
// in the revoke question, and survives the session's last-seen refreshes.
func TestNameADevice(t *testing.T) {
	e := newEnv(t)
	laptop := e.client(uaFirefoxWin)
	laptop.signUp("person@example.com")
	phone := e.client(uaSafariPhone)
	phone.signIn("person@example.com")
	id := laptop.currentID()
	names := laptop.get("/app/settings/security/names")
	if names.status != 200 || !strings.Contains(names.body, `id="name-`+id+`"`) || strings.Count(names.body, `name="name"`) != 2 {
		t.Fatalf("names page: %d %.1000s", names.status, names.body)
	}
	if !strings.Contains(laptop.get("/app/settings/security").body, `href="/app/settings/security/names"`) {
		t.Errorf("the security page does not link the names page")
	}
	r := laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {` Work <b>laptop</b> & "co" `}})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security/names?saved=1" {
		t.Fatalf("rename: %d %q %.300s", r.status, r.header.Get("Location"), r.body)
	}
	const shown = `Work &lt;b&gt;laptop&lt;/b&gt; &amp; &#34;co&#34; (Firefox on Windows)`
	if page := phone.get("/app/settings/security"); !strings.Contains(page.body, shown) || strings.Contains(page.body, "<b>laptop") {
		t.Fatalf("the phone's table: %.3000s", page.body)
	}
	if q := phone.get("/app/settings/security/sessions/" + id + "/revoke"); !strings.Contains(q.body, shown) {
		t.Errorf("the revoke question lacks the name: %.1500s", q.body)
	}
	// A refresh of last-seen (past the touch interval) keeps the name.
	later := time.Now().Add(2 * time.Minute)
	e.auth.SetClock(func() time.Time { return later })
	laptop.get("/app/settings/security")
	if page := phone.get("/app/settings/security"); !strings.Contains(page.body, shown) {
		t.Errorf("the name did not survive a refresh")
	}
	// Clearing it brings the device label back.
	laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {""}})
	if page := phone.get("/app/settings/security"); strings.Contains(page.body, "Work &lt;b&gt;") {
		t.Errorf("the cleared name still shows")
	}
	// An ended session keeps its name in the ended list.
	laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {"Old laptop"}})
	if r := phone.htmx("DELETE", "/app/settings/security/sessions/"+id); r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	if page := phone.get("/app/settings/security"); !strings.Contains(page.body[strings.Index(page.body, "ended-sessions"):], "Old laptop (Firefox on Windows)") {
		t.Errorf("the ended list lacks the name")
	}
}

// Bad names: a clear 4xx with the field named, and the name unchanged.
func TestNameADeviceRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	laptop := e.client(uaFirefoxWin)
	laptop.signUp("person@example.com")
	other := e.client(uaSafariPhone)
	other.signUp("other@example.com")
	id := laptop.currentID()
	laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {"Work laptop"}})
	for _, bad := range []string{strings.Repeat("é", 41), "two\nlines", "bell\x07"} {
		r := laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {bad}})
		if r.status != 422 || !strings.Contains(r.body, "Name: ") || !strings.Contains(r.body, "Nothing was changed.") || !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Errorf("%q: %d %.400s", bad, r.status, r.body)
		}
	}
	for _, target := range []string{"not-a-uuid", other.currentID(), "00000000-0000-4000-8000-000000000001"} {
		if r := laptop.form("/app/settings/security/sessions/"+target+"/name", url.Values{"name": {"x"}}); r.status != 404 {
			t.Errorf("rename %s: %d", target, r.status)
		}
	}
	if r := laptop.do("POST", "/app/settings/security/sessions/"+id+"/name", "name=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.status != 403 {
		t.Errorf("without CSRF: %d", r.status)
	}
	if page := laptop.get("/app/settings/security"); !strings.Contains(page.body, "Work laptop (Firefox on Windows)") {
		t.Errorf("a refused rename changed the name")
	}
}

// A rename reaches the person's other open pages live: their stream says something changed.
func TestRenameIsALiveUpdate(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	e := &env{t: t, app: srv.App, store: srv.Store, auth: srv.Handler.AuthService(), base: srv.URL, http: noRedirects}
	laptop := e.client(uaFirefoxWin)
	laptop.signUp("person@example.com")
	phone := e.client(uaSafariPhone)
	phone.signIn("person@example.com")
	stream := testserver.OpenStream(t, srv.URL, phone.cookies["session"], "")
	if stream.Status != 200 {
		t.Fatalf("stream: %d", stream.Status)
	}
	id := laptop.currentID()
	laptop.form("/app/settings/security/sessions/"+id+"/name", url.Values{"name": {"Work laptop"}})
	// Other news may come first (the sign-ins' own "new"); the rename is a "chg" of its session.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, ok := stream.Next(time.Until(deadline), "security-changed")
		if !ok {
			t.Fatal("no live update for the rename")
		}
		if ev.Data == "chg:"+id {
			break
		}
	}
	if page := phone.get("/app/settings/security/live"); !strings.Contains(page.body, "Work laptop (Firefox on Windows)") {
		t.Errorf("the live fragment lacks the new name: %.500s", page.body)
	}
}
