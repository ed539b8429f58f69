package handlers_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/docodego/sessions/auth"
)

// current is what the session middleware found for the client's cookie: a request that
// was signed in when it began.
func (c *client) current() auth.Current {
	c.e.t.Helper()
	cur, err := c.e.auth.Authenticate(c.e.t.Context(), c.cookies["session"], "")
	if err != nil {
		c.e.t.Fatal(err)
	}
	return cur
}

// A request that began while its session was live, and whose session was revoked before
// its write: every kind of write refuses with ErrSessionRevoked and changes nothing. This
// is the in-flight half of the races, made deterministic by revoking in between.
func TestWritesOfARevokedSessionChangeNothing(t *testing.T) {
	e := raceEnv(t)
	ctx := t.Context()
	owner := e.account("inflight@example.com")
	victim := e.signedIn("inflight@example.com", testPassword, uaSafariPhone)
	victimID := victim.currentID()
	userID := e.user("inflight@example.com").ID
	hash := e.passwordHash("inflight@example.com")
	for _, write := range []struct {
		name string
		do   func(cur auth.Current) error
	}{
		{"revoke one", func(cur auth.Current) error { _, err := e.auth.RevokeSession(ctx, cur, victimID); return err }},
		{"revoke others", func(cur auth.Current) error { _, err := e.auth.RevokeOtherSessions(ctx, cur); return err }},
		{"change password", func(cur auth.Current) error {
			_, err := e.auth.ChangePassword(ctx, cur, auth.Client{IP: "192.0.2.9"},
				auth.PasswordChange{Current: testPassword, New: newPassword, RevokeOthers: true})
			return err
		}},
		{"dismiss notice", func(cur auth.Current) error { return e.auth.DismissNotice(ctx, cur, "1") }},
	} {
		t.Run(write.name, func(t *testing.T) {
			attacker := e.signedIn("inflight@example.com", testPassword, uaFirefoxWin)
			inFlight := attacker.current()
			if r := owner.do("DELETE", "/api/auth/sessions/"+inFlight.Session.ID, "", nil); r.status != 204 {
				t.Fatalf("owner's revoke: %d %s", r.status, r.body)
			}
			if err := write.do(inFlight); !errors.Is(err, auth.ErrSessionRevoked) {
				t.Fatalf("write of a revoked session: %v, want ErrSessionRevoked", err)
			}
			if e.sessionRevoked(userID, owner.currentID()) || e.sessionRevoked(userID, victimID) {
				t.Fatal("a revoked session's write ended a live session")
			}
			if e.passwordHash("inflight@example.com") != hash {
				t.Fatal("a revoked session's write changed the password")
			}
		})
	}
	// Signing out of a session that was revoked meanwhile writes nothing and is no error.
	late := e.signedIn("inflight@example.com", testPassword, uaFirefoxWin)
	cur := late.current()
	owner.do("DELETE", "/api/auth/sessions/"+cur.Session.ID, "", nil)
	if err := e.auth.SignOut(ctx, cur); err != nil {
		t.Fatalf("sign out after revoke: %v", err)
	}
}

// The session a "New sign-in" notice is about cannot dismiss it, nor can a session made
// after it (an intruder's second sign-in), nor another account's. Sessions that were
// there before it can, each for itself only: issue #26 found that the intruder's first
// session could dismiss the notice about the intruder's second sign-in for every session,
// the owner's too. Notice ids are sequential numbers on purpose: dismissal is scoped to
// the session dismissing and the notice shown to it, so guessing ids gains nothing.
func TestNoticeDismissedOnlyByTheSessionsItWarns(t *testing.T) {
	e := newEnv(t)
	owner := e.client(uaChromeMac)
	owner.signUp("notice@example.com")
	intruder, second := e.client(uaFirefoxWin), e.client(uaSafariPhone)
	intruder.signIn("notice@example.com")
	second.signIn("notice@example.com")
	stranger := e.client(uaTauriLinux)
	stranger.signUp("stranger@example.com")
	notice := regexp.MustCompile(`<input type="hidden" name="notice" value="(\d+)">`)
	shownTo := func(c *client) []string {
		var ids []string
		for _, m := range notice.FindAllStringSubmatch(c.get("/app/settings/security").body, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	shown := func() []string { return shownTo(owner) }
	ids := shown()
	if len(ids) != 2 {
		t.Fatalf("owner sees %d notices, want 2", len(ids))
	}
	for _, id := range ids {
		for name, c := range map[string]*client{"intruder": intruder, "second": second, "stranger": stranger} {
			if r := c.htmx("POST", "/app/settings/security/notices/"+id+"/dismiss"); r.status != 200 {
				t.Fatalf("%s dismissing %s: %d", name, id, r.status)
			}
		}
	}
	// ids[0], the newest, is about the second sign-in: the intruder's older session was
	// shown it and dismissed it, for itself only. The owner still sees both.
	if got := shown(); len(got) != 2 {
		t.Fatalf("shown to the owner after the others' attempts: %v, want both of %v", got, ids)
	}
	if got := shownTo(intruder); len(got) != 0 {
		t.Errorf("shown to the intruder's session after it dismissed: %v", got)
	}
	for _, id := range ids {
		if r := owner.htmx("POST", "/app/settings/security/notices/"+id+"/dismiss"); r.status != 200 {
			t.Fatalf("owner's dismiss: %d", r.status)
		}
	}
	if got := shown(); len(got) != 0 {
		t.Fatalf("owner dismissed every notice, still shown: %v", got)
	}
}
