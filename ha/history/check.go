package history

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PromisedLatency is the product's promise (docs/operations.md): every answer, a 503 at
// worst, reaches the client within 3 s, as the client times it through the proxy.
const PromisedLatency = 3 * time.Second

// Checker holds the bounds a history is checked against.
//
// Why an exact check instead of a general linearizability search (porcupine): each session
// is a register that only moves forward, absent -> live -> ended, and every operation on it
// either reads it (any authenticated request) or moves it to ended (a revoke, revoke-all
// or password change). For such a monotone register a history is linearizable exactly when
//   - no read that started after a confirmed end completed answered "live" (R1), and
//   - no read answered "ended" unless an end of that session had started before the read
//     completed (R2),
//
// because a read can take effect anywhere in its interval and an end anywhere in its own:
// R1 fails exactly when no point of the read precedes the end, R2 exactly when no point of
// the read follows an end's start. Passwords are the same shape (each new password is
// fresh, so a password only moves set -> replaced) and get the same two rules (R3). The
// search porcupine does is therefore not needed, and the exact rules name the request
// that broke them.
type Checker struct {
	// MaxLatency bounds every request but streams, as the client times it: the product
	// promises PromisedLatency. Longer is a hang.
	MaxLatency time.Duration
}

// Violation is a broken promise, with the request that shows it.
type Violation struct {
	Rule  string
	Event Event
	Why   string
}

func (v Violation) String() string { return fmt.Sprintf("%s: %s (%s)", v.Rule, v.Why, v.Event) }

// endAttempt is a request that may have ended a session: confirmed when it answered success
// and the session certainly existed when it started.
type endAttempt struct {
	start, end time.Time
	confirmed  bool
	by         Event
}

type model struct {
	owner    map[string]string       // session key -> user
	idOwner  map[string]string       // public session id -> user
	signedIn map[string]time.Time    // session key -> end of its confirmed sign-in
	ends     map[string][]endAttempt // session key -> requests that may have ended it
	sessions map[string][]string     // user -> session keys
	streams  map[string]bool         // session keys with a page open (stream answered 200)
	signOuts map[string]Event        // session key -> its page sent to sign-in
}

func build(events []Event) *model {
	m := &model{owner: map[string]string{}, idOwner: map[string]string{}, signedIn: map[string]time.Time{}, ends: map[string][]endAttempt{},
		sessions: map[string][]string{}, streams: map[string]bool{}, signOuts: map[string]Event{}}
	addSession := func(id, user string) {
		if id == "" {
			return
		}
		if _, ok := m.owner[id]; !ok {
			m.owner[id] = user
			m.sessions[user] = append(m.sessions[user], id)
		}
	}
	for _, e := range events {
		addSession(e.Session, e.User)
		if e.SessionID != "" {
			m.idOwner[e.SessionID] = e.User
		}
		if e.Op == SignIn && e.OK() {
			addSession(e.Target, e.User)
			if t, ok := m.signedIn[e.Target]; !ok || e.End.Before(t) {
				m.signedIn[e.Target] = e.End
			}
		}
		switch e.Op {
		case StreamOpen:
			if e.OK() {
				m.streams[e.Session] = true
			}
		case StreamEnded:
			m.signOuts[e.Session] = e
		}
	}
	for _, e := range events {
		switch e.Op {
		case Revoke:
			m.ends[e.Target] = append(m.ends[e.Target], endAttempt{e.Start, e.End, e.OK(), e})
		case RevokeAll, ChangePassword:
			for _, id := range m.sessions[e.User] {
				if id == e.Session {
					continue
				}
				t, existed := m.signedIn[id]
				m.ends[id] = append(m.ends[id], endAttempt{e.Start, e.End, e.OK() && existed && t.Before(e.Start), e})
			}
		}
	}
	return m
}

// authenticated: the request was let in or refused on its Session's standing.
func authenticated(e Event) bool {
	switch e.Op {
	case Read, List, Page, Revoke, RevokeAll, ChangePassword, StreamOpen:
		return e.Session != ""
	}
	return false
}

// Check returns every violation in events; none means the run kept every promise.
func (c Checker) Check(events []Event) []Violation {
	m := build(events)
	var vs []Violation
	add := func(rule string, e Event, format string, args ...any) {
		vs = append(vs, Violation{Rule: rule, Event: e, Why: fmt.Sprintf(format, args...)})
	}
	for _, e := range events {
		if authenticated(e) {
			for _, a := range m.ends[e.Session] {
				if e.OK() && a.confirmed && a.end.Before(e.Start) {
					add("R1 ended stays ended", e, "let in %s after its end was confirmed at %s by %s",
						e.Op, a.end.Format("15:04:05.000"), a.by.Op)
					break
				}
			}
			if e.Refused() && !m.endStartedBefore(e.Session, e.End) {
				add("R2 no end without a request", e, "refused though nothing had started to end the session")
			}
		}
		c.checkAnswer(e, m, add)
	}
	vs = append(vs, checkPasswords(events)...)
	for id := range m.streams {
		confirmed := false
		for _, a := range m.ends[id] {
			confirmed = confirmed || a.confirmed
		}
		if _, out := m.signOuts[id]; confirmed && !out {
			add("R6 live sign-out", Event{Op: StreamOpen, Session: id, User: m.owner[id]},
				"the open page of a session whose end was confirmed was never sent to sign-in")
		}
	}
	for id, e := range m.signOuts {
		if !m.endStartedBefore(id, e.End) {
			add("R6 live sign-out", e, "page sent to sign-in though nothing had started to end its session")
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Event.Start.Before(vs[j].Event.Start) })
	return vs
}

func (m *model) endStartedBefore(id string, t time.Time) bool {
	for _, a := range m.ends[id] {
		if a.start.Before(t) {
			return true
		}
	}
	return false
}

// checkAnswer: no server error but the two 503s with Retry-After, no answer past the
// deadline, no other person's data (R4, R5).
func (c Checker) checkAnswer(e Event, m *model, add func(string, Event, string, ...any)) {
	if e.Op == StreamEnded || e.Op == StreamOpen {
		return
	}
	if c.MaxLatency > 0 && e.End.Sub(e.Start) > c.MaxLatency {
		add("R5 answered in time", e, "took %s (bound %s; upstream %s via %s)", e.End.Sub(e.Start).Round(time.Millisecond),
			c.MaxLatency, e.UpstreamTime, e.Upstream)
	}
	switch {
	case e.Status == 0:
		add("R4 an answer", e, "no HTTP answer: %s", e.Error)
	case e.Status == 503:
		shed := (!e.Page && (e.Code == "unavailable" || e.Code == "busy")) ||
			(e.Page && strings.Contains(strings.ToLower(e.Body), "try again"))
		if !shed {
			add("R4 503 says try again", e, "a 503 that is neither {\"error\":\"unavailable\"} nor a try-again page")
		}
		if e.RetryAfter == "" {
			add("R4 503 says try again", e, "a 503 without Retry-After")
		}
	case e.Status >= 500:
		add("R4 no server error", e, "answered %d", e.Status)
	}
	if !e.OK() {
		return
	}
	for _, id := range e.Listed {
		if owner, ok := m.idOwner[id]; ok && owner != e.User {
			add("R4 own data only", e, "answer lists session %s of %s", short(id), owner)
		}
	}
	if e.Op == Read && len(e.Listed) == 1 && e.SessionID != "" && e.Listed[0] != e.SessionID {
		add("R4 own data only", e, "current session answered as %s", short(e.Listed[0]))
	}
	for _, email := range e.Emails {
		if email != e.User {
			add("R4 own data only", e, "page shows %s", email)
		}
	}
}

// checkPasswords: a confirmed password change is never undone (R3). Passwords are fresh
// per change, so each moves only set -> replaced: a sign-in with a password whose
// replacement was confirmed before it started must fail, and one with a password whose
// setting was confirmed (and whose replacement had not started) must not be refused.
func checkPasswords(events []Event) []Violation {
	type span struct {
		setConfirmed           time.Time // zero: never confirmed
		replacedAt, replacedOK time.Time // first replacement start; first confirmed end
	}
	pw := map[string]*span{} // user + "\x00" + password
	get := func(user, p string) *span {
		k := user + "\x00" + p
		if pw[k] == nil {
			pw[k] = &span{}
		}
		return pw[k]
	}
	for _, e := range events {
		if e.Op == SignIn && e.OK() && e.Password != "" {
			s := get(e.User, e.Password) // a confirmed sign-in (or sign-up) proves it was set
			if s.setConfirmed.IsZero() || e.End.Before(s.setConfirmed) {
				s.setConfirmed = e.End
			}
		}
		if e.Op != ChangePassword {
			continue
		}
		old := get(e.User, e.Password)
		if old.replacedAt.IsZero() || e.Start.Before(old.replacedAt) {
			old.replacedAt = e.Start
		}
		if e.OK() {
			if old.replacedOK.IsZero() || e.End.Before(old.replacedOK) {
				old.replacedOK = e.End
			}
			s := get(e.User, e.NewPassword)
			if s.setConfirmed.IsZero() || e.End.Before(s.setConfirmed) {
				s.setConfirmed = e.End
			}
		}
	}
	var vs []Violation
	for _, e := range events {
		if e.Op != SignIn || e.Password == "" {
			continue
		}
		s := get(e.User, e.Password)
		switch {
		case e.OK() && !s.replacedOK.IsZero() && s.replacedOK.Before(e.Start):
			vs = append(vs, Violation{"R3 password change stays", e,
				"signed in with a password whose change was confirmed at " + s.replacedOK.Format("15:04:05.000")})
		case e.Status == 401 && !s.setConfirmed.IsZero() && s.setConfirmed.Before(e.Start) &&
			(s.replacedAt.IsZero() || e.End.Before(s.replacedAt)):
			vs = append(vs, Violation{"R3 password change stays", e,
				"refused a password whose setting was confirmed at " + s.setConfirmed.Format("15:04:05.000")})
		}
	}
	return vs
}
