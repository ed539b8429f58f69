package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type apiSessionJSON struct {
	ID           string    `json:"id"`
	Label        string    `json:"label"`
	Browser      string    `json:"browser"`
	OS           string    `json:"os"`
	DeviceType   string    `json:"device_type"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"user_agent"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Current      bool      `json:"current"`
}

func (c *client) sessions() []apiSessionJSON {
	c.e.t.Helper()
	r := c.get("/api/auth/sessions/")
	if r.status != 200 {
		c.e.t.Fatalf("list sessions: %d %s", r.status, r.body)
	}
	var out struct{ Sessions []apiSessionJSON }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		c.e.t.Fatal(err)
	}
	return out.Sessions
}

// currentID is the id of the client's own session.
func (c *client) currentID() string {
	c.e.t.Helper()
	r := c.get("/api/users/me/current-session/")
	var s apiSessionJSON
	if r.status != 200 || json.Unmarshal([]byte(r.body), &s) != nil {
		c.e.t.Fatalf("current session: %d %s", r.status, r.body)
	}
	return s.ID
}

// threeDevices signs one account in from a Mac, a Windows PC and the desktop app.
func threeDevices(t *testing.T) (e *env, mac, win, desk *client) {
	e = newEnv(t)
	mac, win, desk = e.client(uaChromeMac), e.client(uaFirefoxWin), e.client(uaTauriLinux)
	mac.signUp("ada@example.com")
	win.signIn("ada@example.com")
	desk.signIn("ADA@example.com") // emails match whatever their case
	return e, mac, win, desk
}

func TestListSessionsThreeDevices(t *testing.T) {
	_, mac, win, desk := threeDevices(t)
	list := mac.sessions()
	if len(list) != 3 {
		t.Fatalf("want 3 sessions, got %d", len(list))
	}
	currents := 0
	for _, s := range list {
		if s.Current {
			currents++
		}
	}
	if currents != 1 || !list[0].Current || list[0].ID != mac.currentID() {
		t.Fatalf("want exactly one current session, listed first: %+v", list)
	}
	labels := map[string]string{}
	for _, s := range list {
		labels[s.ID] = s.Label
		if s.CreatedAt.IsZero() || s.ExpiresAt.Before(s.CreatedAt) || s.IP == "" {
			t.Errorf("incomplete session %+v", s)
		}
	}
	if got := labels[win.currentID()]; got != "Firefox on Windows" {
		t.Errorf("windows label = %q", got)
	}
	if got := labels[desk.currentID()]; !strings.HasPrefix(got, "DoCodeGo Desktop") {
		t.Errorf("desktop label = %q", got)
	}
	raw := mac.get("/api/auth/sessions").body
	for _, secret := range []string{"token", "hash", mac.cookies["session"], win.cookies["session"]} {
		if strings.Contains(raw, secret) {
			t.Errorf("list exposes %q", secret)
		}
	}
}

func TestRevokedSessionIsRefusedOnNextRequest(t *testing.T) {
	_, mac, win, _ := threeDevices(t)
	winID := win.currentID()
	winCookie := win.cookies["session"]

	if r := mac.do("DELETE", "/api/auth/sessions/"+winID+"/", "", nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		status  int
		want    string // in body, or in Location / HX-Redirect
	}{
		{"json", "GET", "/api/auth/sessions/", nil, 401, `{"error":"session_revoked"}`},
		{"page", "GET", "/app/settings/security", nil, 303, "/login?ended=revoked"},
		{"htmx", "DELETE", "/app/settings/security/sessions/" + winID, map[string]string{"HX-Request": "true"}, 200, "/login?ended=revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			win.cookies["session"] = winCookie // each request replays the revoked cookie
			r := win.do(tt.method, tt.path, "", tt.headers)
			got := r.body + r.header.Get("Location") + r.header.Get("HX-Redirect")
			if r.status != tt.status || !strings.Contains(got, tt.want) {
				t.Fatalf("got %d %q, want %d %q", r.status, got, tt.status, tt.want)
			}
			// The JSON answer clears the revoked cookie; a page or fragment leaves it to the
			// sign-in page it sends to (its other requests in flight must read the same
			// reason), which clears it.
			if tt.name != "json" {
				if _, kept := win.cookies["session"]; !kept {
					t.Error("the page's answer cleared the cookie its other requests need")
				}
				win.get(tt.want)
			}
			if _, still := win.cookies["session"]; still {
				t.Error("the revoked cookie was not cleared")
			}
		})
	}
	page := win.get("/login?ended=revoked")
	if !strings.Contains(page.body, "ended from another device") {
		t.Errorf("sign-in page does not say why: %s", page.body)
	}
	if n := len(mac.sessions()); n != 2 {
		t.Errorf("want 2 sessions left, got %d", n)
	}
}

func TestRevokeOtherSessionsLeavesOne(t *testing.T) {
	_, mac, win, desk := threeDevices(t)
	r := mac.do("DELETE", "/api/auth/sessions", "", nil)
	if r.status != 200 || r.body != `{"revoked":2}` {
		t.Fatalf("revoke others: %d %s", r.status, r.body)
	}
	if list := mac.sessions(); len(list) != 1 || !list[0].Current {
		t.Fatalf("want only the current session, got %+v", list)
	}
	for _, other := range []*client{win, desk} {
		if r := other.get("/api/auth/sessions"); r.status != 401 {
			t.Errorf("other device still signed in: %d", r.status)
		}
	}
}

func TestRevokeSessionErrors(t *testing.T) {
	e, mac, win, _ := threeDevices(t)
	eve := e.client(uaFirefoxWin)
	eve.signUp("eve@example.com")
	winID := win.currentID()
	tests := []struct {
		name   string
		who    *client
		method string
		path   string
		status int
		code   string
	}{
		{"current session", mac, "DELETE", "/api/auth/sessions/" + mac.currentID(), 409, "current_session"},
		{"current session in upper case", mac, "DELETE", "/api/auth/sessions/" + strings.ToUpper(mac.currentID()), 409, "current_session"},
		{"malformed id", mac, "DELETE", "/api/auth/sessions/not-a-uuid", 404, "session_not_found"},
		{"sql in id", mac, "DELETE", "/api/auth/sessions/1';DROP%20TABLE%20sessions;--", 404, "session_not_found"},
		{"unknown id", mac, "DELETE", "/api/auth/sessions/0b6e8f3c-8d7e-4f5e-9b1a-2f8f9c1d2e3f", 404, "session_not_found"},
		{"another user's session", eve, "DELETE", "/api/auth/sessions/" + winID, 404, "session_not_found"},
		{"another user's status", eve, "GET", "/api/auth/sessions/" + winID + "/status", 404, "session_not_found"},
		{"signed out", e.client(uaChromeMac), "DELETE", "/api/auth/sessions/" + winID, 401, "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.do(tt.method, tt.path, "", nil)
			if r.status != tt.status || !strings.Contains(r.body, `"error":"`+tt.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	// Nothing above changed anything: all three of Ada's sessions are live.
	if n := len(mac.sessions()); n != 3 {
		t.Fatalf("want 3 sessions, got %d", n)
	}
	if r := win.get("/api/users/me/current-session"); r.status != 200 {
		t.Fatalf("probed session was disturbed: %d", r.status)
	}
}

func TestSessionStatus(t *testing.T) {
	e, mac, win, desk := threeDevices(t)
	winID, deskID := win.currentID(), desk.currentID()
	status := func(id string) map[string]any {
		r := mac.get("/api/auth/sessions/" + id + "/status/")
		var out map[string]any
		if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
		return out
	}
	if s := status(winID); s["status"] != "active" || s["revoked_at"] != nil || s["id"] != winID {
		t.Fatalf("active: %v", s)
	}
	mac.do("DELETE", "/api/auth/sessions/"+winID, "", nil)
	if s := status(winID); s["status"] != "revoked" || s["revoked_at"] == nil {
		t.Fatalf("revoked: %v", s)
	}
	// Eight days on, the desktop session has been idle past the 7-day timeout. Ada's
	// Mac session has been idle as long, so sign in again "later" to ask.
	e.auth.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if r := desk.get("/api/auth/sessions"); r.status != 401 || !strings.Contains(r.body, "session_expired") {
		t.Fatalf("idle session answered %d %s", r.status, r.body)
	}
	later := e.client(uaSafariPhone)
	later.signIn("ada@example.com")
	r := later.get("/api/auth/sessions/" + deskID + "/status")
	if !strings.Contains(r.body, `"status":"expired"`) {
		t.Fatalf("expired: %s", r.body)
	}
}

func TestCurrentSessionAndSignOut(t *testing.T) {
	e := newEnv(t)
	c := e.client(uaSafariPhone)
	c.signUp("grace@example.com")
	r := c.get("/api/users/me/current-session")
	var s apiSessionJSON
	if err := json.Unmarshal([]byte(r.body), &s); err != nil || !s.Current || s.Label != "Safari on iPhone" || s.DeviceType != "mobile" {
		t.Fatalf("current session: %s", r.body)
	}
	cookie := c.cookies["session"]
	if r := c.do("POST", "/api/auth/sign-out", "", nil); r.status != 200 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	c.cookies["session"] = cookie
	if r := c.get("/api/users/me/current-session"); r.status != 401 || !strings.Contains(r.body, "session_revoked") {
		t.Fatalf("after sign-out: %d %s", r.status, r.body)
	}
}
