package handlers_test

import (
	"net/url"
	"strings"
	"testing"
)

// "Not you? Secure your account" from the notice: one confirmation ends that session and
// every other but the current one, forgets the new device and records account_secured;
// the page then says what was done and focuses the change-password form.
func TestNotYouSecuresTheAccount(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	winID := win.currentID()
	page := mac.get("/app/settings/security").body
	if !strings.Contains(page, `/app/settings/security/sessions/`+desk.currentID()+`/revoke"><button aria-label="Revoke DoCodeGo Desktop on Linux">Revoke</button><button name="do" value="secure" class="danger">Not you? Secure your account</button>`) {
		t.Fatalf("the flagged row offers no 'Not you?':\n%s", page)
	}
	// Its Revoke form, sent by that button, asks the same question as the route below.
	if q := mac.htmx("GET", "/app/settings/security/sessions/"+winID+"/revoke?do=secure"); !strings.Contains(q.body, "Secure my account") {
		t.Fatalf("?do=secure does not ask to secure the account:\n%s", q.body)
	}
	q := mac.htmx("GET", "/app/settings/security/sessions/"+winID+"/secure")
	if q.status != 200 || !strings.Contains(q.body, "Secure my account") || !strings.Contains(q.body, `hx-post="/app/settings/security/sessions/`+winID+`/secure"`) {
		t.Fatalf("question: %d\n%s", q.status, q.body)
	}
	r := mac.form("/app/settings/security/sessions/"+winID+"/secure", url.Values{})
	if r.status != 303 || r.header.Get("Location") != "/app/settings/security?done=secured&n=2" {
		t.Fatalf("secure: %d %q", r.status, r.header.Get("Location"))
	}
	if e.sessionLive(winID) || len(mac.sessions()) != 1 {
		t.Fatal("sessions survived")
	}
	done := mac.get(r.header.Get("Location")).body
	for _, want := range []string{"Your account is secured: 2 sessions were signed out", `autocomplete="current-password" required autofocus`, "You secured your account from"} {
		if !strings.Contains(done, want) {
			t.Errorf("page after lacks %q", want)
		}
	}
	// The device is forgotten: its next sign-in is new again (a notice for the others).
	win.signIn("ada@example.com")
	if !strings.Contains(mac.get("/app/settings/security").body, `<tr id="session-`+win.currentID()+`" class="flagged">`) {
		t.Error("the forgotten device signed in without a new-sign-in notice")
	}
}

// "Not you?" is one transaction: when its last write fails, no session ended and the
// device is still known. The failure is real: a trigger refuses the account_secured event.
func TestNotYouIsAtomic(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	winID := win.currentID()
	_, err := e.store.DB().ExecContext(t.Context(), `
		CREATE FUNCTION refuse_secured() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.type = 'account_secured' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_secured BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_secured();`)
	if err != nil {
		t.Fatal(err)
	}
	known := func() int {
		var n int
		if err := e.store.DB().GetContext(t.Context(), &n, `SELECT count(*) FROM known_devices`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := known()
	if r := mac.form("/app/settings/security/sessions/"+winID+"/secure", url.Values{}); r.status != 500 {
		t.Fatalf("want the failure to show: %d", r.status)
	}
	if !e.sessionLive(winID) || len(mac.sessions()) != 3 || known() != before {
		t.Fatal("a failed 'Not you?' changed something")
	}
}

// The new-sign-in mail's link, /app/settings/security?session=<id>, highlights that row; a
// signed-out reader signs in first and comes back to it. Only the security page is a way
// back: another host, scheme or path is never where a sign-in leads (no open redirect).
func TestMailLinkForASignedOutReader(t *testing.T) {
	e, _, win, _ := threeDevices(t)
	winID := win.currentID()
	link := "/app/settings/security?session=" + winID
	reader := e.client(uaSafariPhone)
	r := reader.get(link)
	if r.status != 303 || r.header.Get("Location") != "/login?next="+url.QueryEscape(link) {
		t.Fatalf("signed out: %d %q", r.status, r.header.Get("Location"))
	}
	page := reader.get(r.header.Get("Location")).body
	if !strings.Contains(page, `name="next" value="/app/settings/security?session=`+winID+`"`) {
		t.Fatalf("the sign-in form does not carry the way back:\n%s", page)
	}
	r = reader.form("/login", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "next": {link}})
	if r.status != 303 || r.header.Get("Location") != link {
		t.Fatalf("after sign-in: %d %q", r.status, r.header.Get("Location"))
	}
	if body := reader.get(link).body; !strings.Contains(body, `id="session-`+winID+`" class="flagged highlight"`) || !strings.Contains(body, "The session from the email") {
		t.Error("the row from the mail is not highlighted")
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/app/settings/security", "/\\evil.example",
		"/app/settings/security/../../x", "/app/settings/security?x=\r\nSet-Cookie:a=b", "javascript:alert(1)"} {
		c := e.client(uaChromeMac)
		r := c.form("/login", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "next": {evil}})
		if r.status != 303 || r.header.Get("Location") != "/app/settings/security" {
			t.Errorf("next=%q led to %q", evil, r.header.Get("Location"))
		}
		if p := c.get("/login?next=" + url.QueryEscape(evil)); strings.Contains(p.body, "evil") {
			t.Errorf("next=%q reached the form", evil)
		}
	}
}
