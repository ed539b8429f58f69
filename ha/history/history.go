// Package history records every request a fault run's clients made (start, end, session,
// operation, answer) and checks the recorded history against the product's promises: a
// confirmed end of a session is never undone, a session is refused from the moment its end
// was confirmed, answers are never a server error or someone else's data, a database outage
// answers 503 with Retry-After in time, and every open live stream of an ended session is
// signed out.
package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Op is what a request did, as the checker models it.
type Op string

// The operations of the model. Every request but SignIn and StreamEnded is authenticated by
// Session; the ending ones end Target (Revoke) or the user's other sessions (RevokeAll,
// ChangePassword).
const (
	SignIn         Op = "sign-in"         // Target: the new session's key; Password: the one used
	Read           Op = "read"            // current session, security events: owned by Session
	List           Op = "list"            // the session list: Listed ids
	Page           Op = "page"            // the security page (HTML): Emails seen in it
	Revoke         Op = "revoke"          // ends Target
	RevokeAll      Op = "revoke-all"      // ends every other session of User
	ChangePassword Op = "change-password" // Password: the old one; NewPassword; ends the others
	StreamOpen     Op = "stream-open"     // a live stream of Session answered 200 at End
	StreamEnded    Op = "stream-ended"    // the page of Session was sent to sign-in at End
)

// Event is one request as its client saw it. A session is named by a key the client
// derives from its cookie (the public id is learnt only from an answer, and a revoke by id
// names its target by key too), so every request of a session is tied to it from the first.
type Event struct {
	Client      int       `json:"client"`
	Op          Op        `json:"op"`
	Method      string    `json:"method,omitempty"`
	Path        string    `json:"path,omitempty"`
	User        string    `json:"user"`                 // the account's email
	Session     string    `json:"session,omitempty"`    // key of the session (cookie) it was sent with
	SessionID   string    `json:"session_id,omitempty"` // that session's public id, once known
	Target      string    `json:"target,omitempty"`     // Revoke: the ended key; SignIn: the new one
	Password    string    `json:"password,omitempty"`
	NewPassword string    `json:"new_password,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Status      int       `json:"status"` // 0: no HTTP answer (Error says why)
	Error       string    `json:"error,omitempty"`
	Code        string    `json:"code,omitempty"` // the JSON answer's "error", if any
	RetryAfter  string    `json:"retry_after,omitempty"`
	Body        string    `json:"body,omitempty"` // the start of the answer, for reports
	Listed      []string  `json:"listed,omitempty"`
	Emails      []string  `json:"emails,omitempty"`
	Page        bool      `json:"page_kind,omitempty"` // an HTML answer (not JSON)
	Upstream    string    `json:"upstream,omitempty"`
	// UpstreamTime is nginx's $upstream_header_time: how long the instances took to
	// answer, so a slow answer tells the app's time from the proxy's and the client's.
	UpstreamTime string `json:"upstream_time,omitempty"`
}

// OK: the request answered success.
func (e Event) OK() bool { return e.Status >= 200 && e.Status < 300 }

// Refused: the app turned the session away (401, or a page sent to sign-in).
func (e Event) Refused() bool { return e.Status == 401 || e.Code == "sent_to_sign_in" }

// Failed: no answer, or a 5xx (shed or not): what the figures count as a failed request.
func (e Event) Failed() bool { return e.Status == 0 || e.Status >= 500 }

// Writes reports whether e changes state on success.
func (e Event) Writes() bool {
	switch e.Op {
	case SignIn, Revoke, RevokeAll, ChangePassword:
		return true
	}
	return false
}

func (e Event) String() string {
	return fmt.Sprintf("client %d %s %s %s session=%s target=%s %s..%s -> %d %s%s %.100s", e.Client, e.Op,
		e.Method, e.Path, short(e.Session), short(e.Target), e.Start.Format("15:04:05.000"),
		e.End.Format("15:04:05.000"), e.Status, e.Code, e.Error, e.Body)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Recorder collects events from concurrent clients.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Add records e.
func (r *Recorder) Add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events is a copy of what has been recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Save writes events as JSON lines.
func Save(w io.Writer, events []Event) error {
	enc := json.NewEncoder(w)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("write history: %w", err)
		}
	}
	return nil
}

// Load reads a history written by Save.
func Load(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()
	var events []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("read history %s: %w", path, err)
		}
		events = append(events, e)
	}
	return events, sc.Err()
}
