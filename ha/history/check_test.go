package history

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)

// ev is an event from ms to ms after t0.
func ev(op Op, from, to int, status int, f func(*Event)) Event {
	e := Event{Op: op, User: "a@example.com", Start: t0.Add(time.Duration(from) * time.Millisecond),
		End: t0.Add(time.Duration(to) * time.Millisecond), Status: status}
	if f != nil {
		f(&e)
	}
	return e
}

func session(key string) func(*Event) { return func(e *Event) { e.Session = key } }

// base: the user signs in twice ("main" and "s1") with password "p1".
func base() []Event {
	return []Event{
		ev(SignIn, 0, 10, 200, func(e *Event) { e.Target, e.Password = "main", "p1" }),
		ev(SignIn, 20, 30, 200, func(e *Event) { e.Target, e.Password = "s1", "p1" }),
		ev(Read, 40, 50, 200, func(e *Event) { e.Session, e.SessionID, e.Listed = "s1", "id-s1", []string{"id-s1"} }),
	}
}

func revoke(from, to, status int) Event {
	return ev(Revoke, from, to, status, func(e *Event) {
		e.Session, e.Target = "main", "s1"
		unavailable(e)
	})
}

// unavailable makes a 503 the app's own "no database" answer.
func unavailable(e *Event) {
	if e.Status == 503 {
		e.Code, e.RetryAfter = "unavailable", "2"
	}
}

func TestCheckRules(t *testing.T) {
	cases := []struct {
		name   string
		events []Event
		rule   string // "" when the history keeps every promise
	}{
		{"revoke then refused", append(base(), revoke(100, 110, 204), ev(Read, 120, 130, 401, session("s1"))), ""},
		{"read concurrent with the revoke may pass", append(base(), revoke(100, 110, 204), ev(Read, 105, 130, 200, session("s1"))), ""},
		{"lost revocation: let in after the confirmed revoke", append(base(), revoke(100, 110, 204), ev(Read, 111, 130, 200, session("s1"))), "R1"},
		{"unconfirmed revoke (503) then let in", append(base(), revoke(100, 110, 503), ev(Read, 120, 130, 200, session("s1"))), ""},
		{"revoke-all ends the others", append(base(), ev(RevokeAll, 100, 110, 200, session("main")), ev(List, 120, 130, 200, session("s1"))), "R1"},
		{"revoke-all keeps its own session", append(base(), ev(RevokeAll, 100, 110, 200, session("main")), ev(List, 120, 130, 200, session("main"))), ""},
		{"revoke-all before a sign-in confirmed does not end it", []Event{
			ev(SignIn, 0, 10, 200, func(e *Event) { e.Target = "main" }),
			ev(RevokeAll, 20, 40, 200, session("main")),
			ev(SignIn, 30, 50, 200, func(e *Event) { e.Target = "s1" }),
			ev(Read, 60, 70, 200, session("s1"))}, ""},
		{"password change ends the others", append(base(), ev(ChangePassword, 100, 110, 200, func(e *Event) {
			e.Session, e.Password, e.NewPassword = "main", "p1", "p2"
		}), ev(Page, 120, 130, 200, session("s1"))), "R1"},
		{"refused with nothing ending it", append(base(), ev(Read, 100, 110, 401, session("s1"))), "R2"},
		{"page sent to sign-in with nothing ending it", append(base(), ev(Page, 100, 110, 303, func(e *Event) {
			e.Session, e.Page, e.Code = "s1", true, "sent_to_sign_in"
		})), "R2"},
		{"refused while a revoke was in flight", append(base(), revoke(100, 200, 503), ev(Read, 150, 160, 401, session("s1"))), ""},
		{"old password after a confirmed change", append(base(), ev(ChangePassword, 100, 110, 200, func(e *Event) {
			e.Session, e.Password, e.NewPassword = "main", "p1", "p2"
		}), ev(SignIn, 120, 130, 200, func(e *Event) { e.Target, e.Password = "s2", "p1" })), "R3"},
		{"new password refused after a confirmed change", append(base(), ev(ChangePassword, 100, 110, 200, func(e *Event) {
			e.Session, e.Password, e.NewPassword = "main", "p1", "p2"
		}), ev(SignIn, 120, 130, 401, func(e *Event) { e.Password = "p2" })), "R3"},
		{"old password refused while the change is unanswered", append(base(), ev(ChangePassword, 100, 3100, 503, func(e *Event) {
			e.Session, e.Password, e.NewPassword = "main", "p1", "p2"
			unavailable(e)
		}), ev(SignIn, 120, 130, 401, func(e *Event) { e.Password = "p1" })), ""},
		{"a 500", append(base(), ev(List, 100, 110, 500, session("s1"))), "R4"},
		{"a 502 from the proxy", append(base(), ev(List, 100, 110, 502, session("s1"))), "R4"},
		{"no answer", append(base(), ev(List, 100, 110, 0, func(e *Event) { e.Session, e.Error = "s1", "EOF" })), "R4"},
		{"503 unavailable with Retry-After", append(base(), ev(List, 100, 110, 503, func(e *Event) {
			e.Session, e.Code, e.RetryAfter = "s1", "unavailable", "2"
		})), ""},
		{"503 without Retry-After", append(base(), ev(List, 100, 110, 503, func(e *Event) { e.Session, e.Code = "s1", "unavailable" })), "R4"},
		{"503 page that says try again", append(base(), ev(Page, 100, 110, 503, func(e *Event) {
			e.Session, e.Page, e.RetryAfter, e.Body = "s1", true, "2", "<p>Please try again in a moment.</p>"
		})), ""},
		{"503 page without the words", append(base(), ev(Page, 100, 110, 503, func(e *Event) {
			e.Session, e.Page, e.RetryAfter, e.Body = "s1", true, "2", "<p>Error</p>"
		})), "R4"},
		{"a hang", append(base(), ev(List, 100, 9100, 503, func(e *Event) { e.Session, e.Code, e.RetryAfter = "s1", "unavailable", "2" })), "R5"},
		{"another person's session listed", append(base(),
			ev(Read, 60, 70, 200, func(e *Event) { e.User, e.Session, e.SessionID = "b@example.com", "b1", "id-b1" }),
			ev(List, 100, 110, 200, func(e *Event) { e.Session, e.Listed = "s1", []string{"id-s1", "id-b1"} })), "R4"},
		{"another person's page", append(base(), ev(Page, 100, 110, 200, func(e *Event) {
			e.Session, e.Page, e.Emails = "s1", true, []string{"b@example.com"}
		})), "R4"},
		{"open page signed out", append(base(), ev(StreamOpen, 60, 70, 200, session("s1")), revoke(100, 110, 204),
			ev(StreamEnded, 100, 900, 0, session("s1"))), ""},
		{"open page never signed out", append(base(), ev(StreamOpen, 60, 70, 200, session("s1")), revoke(100, 110, 204)), "R6"},
		{"page signed out with nothing ending it", append(base(), ev(StreamOpen, 60, 70, 200, session("s1")),
			ev(StreamEnded, 100, 900, 0, session("s1"))), "R6"},
	}
	c := Checker{MaxLatency: 5 * time.Second}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := c.Check(tc.events)
			if tc.rule == "" {
				for _, v := range vs {
					t.Errorf("unexpected violation: %s", v)
				}
				return
			}
			found := false
			for _, v := range vs {
				found = found || strings.HasPrefix(v.Rule, tc.rule)
			}
			if !found {
				t.Errorf("want a %s violation, got %v", tc.rule, vs)
			}
		})
	}
}

// recorded is a real history: the sigstop-primary-postgres run of TestPatroniFaultsUnderLoad
// (HA_HISTORY_DIR) at 01:20 UTC on 7 December 2026, with the 3 s bound and no violation,
// cut to 8 of its accounts (the rules are per account: 4 from the load, the 4 whose pages
// were held open), bodies to their first 160 characters and a 503 page's to its
// "try again" paragraph.
func recorded(t *testing.T) []Event {
	t.Helper()
	events, err := Load("testdata/sigstop-primary.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// recordedChecker is the suite's checker (ha/faults_test.go).
var recordedChecker = Checker{MaxLatency: PromisedLatency}

func TestRecordedHistoryPasses(t *testing.T) {
	events := recorded(t)
	if vs := recordedChecker.Check(events); len(vs) > 0 {
		t.Errorf("the recorded run's history fails: %v", vs)
	}
	if sum := Summarize(events, events[0].Start); sum.Requests == 0 || sum.Max503 == 0 {
		t.Errorf("the recording has no requests or no 503: %+v", sum)
	}
}

// TestRecordedHistoryWithALostRevocationFails is what a broken build would record (say,
// synchronous_commit = local, so the revocation never reached the standby, or an app that
// answers 204 before its commit): the same history, with the first read of a session after
// its confirmed revocation answered 200 instead of 401. The checker must name that read,
// as R1, and nothing else: the rest of the history keeps every promise.
func TestRecordedHistoryWithALostRevocationFails(t *testing.T) {
	events := recorded(t)
	revokedAt := map[string]time.Time{}
	lost := -1
	for i, e := range events {
		if e.Op == Revoke && e.OK() {
			revokedAt[e.Target] = e.End
		}
		if at, ok := revokedAt[e.Session]; ok && e.Op == Read && e.Status == 401 && e.Start.After(at) {
			lost = i
			break
		}
	}
	if lost < 0 {
		t.Fatal("the recording has no read after a confirmed revocation")
	}
	events[lost].Status, events[lost].Code, events[lost].Listed = 200, "", []string{events[lost].SessionID}
	vs := recordedChecker.Check(events)
	if len(vs) != 1 || !strings.HasPrefix(vs[0].Rule, "R1") || !vs[0].Event.Start.Equal(events[lost].Start) ||
		vs[0].Event.Session != events[lost].Session {
		t.Errorf("want one R1 violation, for the read of %s let in after its revocation; got %v", events[lost].Session, vs)
	}
}
