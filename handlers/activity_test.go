package handlers_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/db"
)

// events are the user's audit events, newest first.
func events(t *testing.T, e *env, email string) []db.AuditEvent {
	t.Helper()
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.store.AuditEvents(context.Background(), u.ID, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func countType(rows []db.AuditEvent, typ string) int {
	n := 0
	for _, r := range rows {
		if r.Type == typ {
			n++
		}
	}
	return n
}

var sessionRowID = regexp.MustCompile(`<tr id="session-([0-9a-f-]{36})"`)

func TestSecurityActivityNoticeAndEndedSessions(t *testing.T) {
	e := newEnv(t)
	mac := e.client(uaChromeMac)
	mac.signUp("activity@example.com")
	win := e.client(uaFirefoxWin)
	win.signIn("activity@example.com")

	// The Windows sign-in is new: the Mac session sees the summary card, and the Windows
	// row is flagged, holding "Not you? Secure your account" (asked in the page's dialog).
	page := mac.get("/app/settings/security")
	if !strings.Contains(page.body, "1 new sign-in since your last visit") || !strings.Contains(page.body, "Not you? Secure your account") {
		t.Fatalf("no new sign-in summary on the older session's page:\n%s", page.body)
	}
	ids := sessionRowID.FindAllStringSubmatch(page.body, -1)
	if len(ids) != 2 {
		t.Fatalf("want 2 session rows, got %d", len(ids))
	}
	winID := ids[1][1]
	if !strings.Contains(page.body, `<button name="do" value="secure" class="danger">Not you? Secure your account</button>`) ||
		!strings.Contains(page.body, `<tr id="session-`+winID+`" class="flagged"`) {
		t.Error(`the Windows row is not flagged with "Not you?"`)
	}
	for _, want := range []string{
		"Recent security activity", "You signed in on a new device: Firefox on Windows",
		"You created your account on Chrome on macOS", `<time datetime="`, `<section id="ended-sessions-card" hidden></section>`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("security page lacks %q", want)
		}
	}
	if own := win.get("/app/settings/security"); strings.Contains(own.body, "since your last visit") {
		t.Error("the new session must not be told about itself")
	}

	// Revoking from the Mac is recorded in plain words and lists the session as ended.
	r := mac.htmx("DELETE", "/app/settings/security/sessions/"+winID)
	if r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	// The htmx answer already updates the sections the revoke changed, out of band.
	for _, want := range []string{`<hx-partial hx-target="#sign-in-notices" hx-swap="outerHTML">`, `<div id="sign-in-notices">`,
		`<section id="activity"`, "You revoked Firefox on Windows from Chrome on macOS", "Revoked from Chrome on macOS"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the revoke fragment lacks %q", want)
		}
	}
	if strings.Contains(r.body, "since your last visit") {
		t.Error("the revoke fragment keeps the notice about the revoked session")
	}
	page = mac.get("/app/settings/security")
	for _, want := range []string{"You revoked Firefox on Windows from Chrome on macOS", "Revoked from Chrome on macOS"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after the revoke the page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "since your last visit") {
		t.Error("a notice about a revoked session is still shown")
	}

	rows := events(t, e, "activity@example.com")
	for typ, want := range map[string]int{db.EventSignUp: 1, db.EventSignIn: 1, db.EventSessionRevoked: 1} {
		if got := countType(rows, typ); got != want {
			t.Errorf("%s events: %d, want %d", typ, got, want)
		}
	}
	if rows[0].Type != db.EventSessionRevoked || rows[0].SessionID.String != winID || rows[0].ActorSessionID.String != ids[0][1] {
		t.Errorf("revoke event does not say which device ended which: %+v", rows[0])
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "msg=audit") || !strings.Contains(logs, "type=session_revoked") {
		t.Errorf("no structured audit log line: %s", logs)
	}
	if strings.Contains(logs, testPassword) {
		t.Error("the log holds a password")
	}
	for name, value := range mac.cookies {
		if strings.HasSuffix(name, "session") && (value == "" || strings.Contains(logs, value)) {
			t.Errorf("session cookie %q missing or logged", name)
		}
	}
}

func TestDismissNotice(t *testing.T) {
	e := newEnv(t)
	mac := e.client(uaChromeMac)
	mac.signUp("dismiss@example.com")
	e.client(uaFirefoxWin).signIn("dismiss@example.com")
	e.client(uaSafariPhone).signIn("dismiss@example.com")
	notice := regexp.MustCompile(`<input type="hidden" name="notice" value="(\d+)">`)
	ids := notice.FindAllStringSubmatch(mac.get("/app/settings/security").body, -1)
	if len(ids) != 2 {
		t.Fatalf("want 2 notices, got %d", len(ids))
	}
	// htmx: 200 (htmx 4 swaps nothing on 204) and the notice is gone on the next load.
	if r := mac.htmx("POST", "/app/settings/security/notices/"+ids[0][1]+"/dismiss"); r.status != 200 || strings.Contains(r.body, "<html") {
		t.Fatalf("htmx dismiss: %d %s", r.status, r.body)
	}
	// Without JavaScript: a form post and a redirect back.
	if r := mac.form("/app/settings/security/notices/"+ids[1][1]+"/dismiss", url.Values{}); r.status != 303 {
		t.Fatalf("form dismiss: %d", r.status)
	}
	if left := notice.FindAllString(mac.get("/app/settings/security").body, -1); len(left) != 0 {
		t.Fatalf("dismissed notices still shown: %v", left)
	}
	// Another user's notice id is not theirs to dismiss, and a bad id is no error page.
	other := e.client(uaChromeMac)
	other.signUp("other@example.com")
	if r := other.htmx("POST", "/app/settings/security/notices/999999/dismiss"); r.status != 200 {
		t.Fatalf("unknown notice: %d", r.status)
	}
}

func TestSecurityEventsPagesByCursor(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("pages@example.com")
	u, _ := e.store.UserByEmail(context.Background(), "pages@example.com")
	base := time.Now().Add(-time.Hour)
	err := e.store.InTx(context.Background(), func(tx *db.Tx) error {
		for i := range 120 {
			err := tx.InsertAuditEvent(context.Background(), db.AuditEvent{UserID: u.ID, Type: db.EventSignIn,
				DeviceLabel: "Firefox on Windows", CreatedAt: base.Add(time.Duration(i/3) * time.Second),
				Details: db.Details{"browser": "Firefox", "os": "Windows"}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	type apiPage struct {
		Events []struct {
			ID      int64  `json:"id"`
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"events"`
		Next *string `json:"next"`
	}
	get := func(query string) (int, apiPage) {
		r := c.get("/api/users/me/security-events/" + query)
		var p apiPage
		if r.status == 200 {
			if err := json.Unmarshal([]byte(r.body), &p); err != nil {
				t.Fatal(err)
			}
		}
		return r.status, p
	}
	if status, p := get(""); status != 200 || len(p.Events) != 20 || p.Next == nil {
		t.Fatalf("default page: %d, %d events", status, len(p.Events))
	}
	if _, p := get("?limit=1000"); len(p.Events) != 100 {
		t.Fatalf("limit must be capped at 100, got %d", len(p.Events))
	}
	seen := map[int64]bool{}
	query := "?limit=50"
	for {
		status, p := get(query)
		if status != 200 {
			t.Fatalf("%s: %d", query, status)
		}
		for _, ev := range p.Events {
			if seen[ev.ID] {
				t.Fatalf("event %d on two pages", ev.ID)
			}
			seen[ev.ID] = true
		}
		if p.Next == nil {
			break
		}
		query = "?limit=50&before=" + url.QueryEscape(*p.Next)
	}
	if len(seen) != 121 { // 120 + sign_up
		t.Fatalf("want 121 events over the pages, got %d", len(seen))
	}
	for _, bad := range []string{"?before=not-a-cursor", "?before=MTIzNDU", "?limit=abc", "?limit=0"} {
		r := c.get("/api/users/me/security-events/" + bad)
		if r.status != 400 || !strings.Contains(r.body, `"error":"invalid_`) {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}

	// The page shows 20 and a "Show more" that loads the next rows in place with htmx,
	// rendered by the same row template.
	page := c.get("/app/settings/security")
	if n := strings.Count(page.body, `<li id="event-`); n != 20 {
		t.Fatalf("want 20 events on the page, got %d", n)
	}
	more := regexp.MustCompile(`hx-get="(/app/settings/security/activity\?before=[^"]+)"`).FindStringSubmatch(page.body)
	if more == nil {
		t.Fatal("no Show more")
	}
	r := c.do("GET", strings.ReplaceAll(more[1], "&amp;", "&"), "", map[string]string{"HX-Request": "true"})
	if r.status != 200 || strings.Contains(r.body, "<html") || strings.Count(r.body, `<li id="event-`) != 20 ||
		!strings.Contains(r.body, `id="activity-more"`) || !strings.Contains(r.body, "data-autofocus") {
		t.Fatalf("show more fragment: %d\n%s", r.status, r.body)
	}
	if r := c.do("GET", "/app/settings/security/activity?before=garbage", "", map[string]string{"HX-Request": "true"}); r.status != 400 {
		t.Fatalf("bad cursor: %d", r.status)
	}
}

func TestSignInAndItsEventsRollBackTogether(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("rollback@example.com")
	e.verifyEmail() // sign-in mail goes only to verified addresses
	ctx := context.Background()
	// The outbox insert is the last statement of a new-device sign-in; make it fail.
	_, err := e.store.DB().ExecContext(ctx, `
		CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END; $$;
		CREATE TRIGGER refuse BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse();`)
	if err != nil {
		t.Fatal(err)
	}
	win := e.client(uaFirefoxWin)
	r := win.json("POST", "/api/auth/sign-in/email", `{"email":"rollback@example.com","password":"`+testPassword+`"}`)
	if r.status != 500 {
		t.Fatalf("want the sign-in to fail, got %d", r.status)
	}
	rows := events(t, e, "rollback@example.com")
	if countType(rows, db.EventSignIn) != 0 {
		t.Fatal("a rolled back sign-in left its event")
	}
	var sessions, notices int
	_ = e.store.DB().GetContext(ctx, &sessions, `SELECT count(*) FROM sessions`)
	_ = e.store.DB().GetContext(ctx, &notices, `SELECT count(*) FROM notices`)
	if sessions != 1 || notices != 0 {
		t.Fatalf("rolled back sign-in left %d sessions, %d notices", sessions, notices)
	}
	if _, err := e.store.DB().ExecContext(ctx, `DROP TRIGGER refuse ON outbox`); err != nil {
		t.Fatal(err)
	}
	win.signIn("rollback@example.com")
	if got := countType(events(t, e, "rollback@example.com"), db.EventSignIn); got != 1 {
		t.Fatalf("committed sign-in: %d events", got)
	}
	mail, err := e.store.OutboxRows(ctx)
	if err != nil || len(mail) != 2 || mail[1].Kind != db.MailNewSignIn || mail[1].Recipient != "rollback@example.com" {
		t.Fatalf("committed new-device sign-in: outbox %+v (%v)", mail, err)
	}
}

func TestFailedSignInAndExpiryAreRecorded(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("events@example.com")
	if r := e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"events@example.com","password":"wrong password!!"}`); r.status != 401 {
		t.Fatalf("wrong password: %d", r.status)
	}
	e.client(uaFirefoxWin).json("POST", "/api/auth/sign-in/email", `{"email":"nobody@example.com","password":"wrong password!!"}`)
	rows := events(t, e, "events@example.com")
	if countType(rows, db.EventSignInFailed) != 1 || rows[0].DeviceLabel != "Firefox on Windows" {
		t.Fatalf("want one sign_in_failed from Firefox on Windows: %+v", rows)
	}
	var all int
	_ = e.store.DB().Get(&all, `SELECT count(*) FROM audit_events WHERE type = 'sign_in_failed'`)
	if all != 1 {
		t.Fatalf("an unknown email must not be recorded: %d", all)
	}

	// Idle past the timeout: the next requests are refused; the expiry is logged once.
	later := time.Now().Add(e.auth.Config().IdleTimeout + time.Hour)
	e.auth.SetClock(func() time.Time { return later })
	cookies := map[string]string{}
	for k, v := range c.cookies {
		cookies[k] = v
	}
	for range 3 {
		c.cookies = map[string]string{}
		for k, v := range cookies {
			c.cookies[k] = v
		}
		if r := c.get("/api/auth/sessions/"); r.status != 401 || !strings.Contains(r.body, "session_expired") {
			t.Fatalf("expired session: %d %s", r.status, r.body)
		}
	}
	if got := countType(events(t, e, "events@example.com"), db.EventSessionExpired); got != 1 {
		t.Fatalf("want session_expired once, got %d", got)
	}
}

func TestPasswordChangeIsRecorded(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaChromeMac)
	c.signUp("pw@example.com")
	e.client(uaFirefoxWin).signIn("pw@example.com")
	r := c.json("POST", "/api/auth/change-password",
		`{"currentPassword":"`+testPassword+`","newPassword":"a brand new passphrase","revokeOtherSessions":true}`)
	if r.status != 200 {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	rows := events(t, e, "pw@example.com")
	if rows[0].Type != db.EventPasswordChanged || rows[0].Details.Int("revoked_count") != 1 {
		t.Fatalf("want password_changed with 1 revoked session, got %+v", rows[0])
	}
	if page := c.get("/app/settings/security"); !strings.Contains(page.body, "You changed your password on Chrome on macOS") ||
		!strings.Contains(page.body, "Ended by a password change on Chrome on macOS") {
		t.Error("the password change is not shown in activity and ended sessions")
	}
}
