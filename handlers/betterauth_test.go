package handlers_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// jsDate is the form JavaScript's Date.toJSON writes and better-auth's client parses.
var jsDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type baSessionJSON struct {
	ID        string `json:"id"`
	UserID    string `json:"userId"`
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	IPAddress string `json:"ipAddress"`
	UserAgent string `json:"userAgent"`
	Label     string `json:"label"`
}

// baSessions calls list-sessions and decodes it.
func (c *client) baSessions() []baSessionJSON {
	c.e.t.Helper()
	r := c.get("/api/auth/list-sessions")
	var out []baSessionJSON
	if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil {
		c.e.t.Fatalf("list-sessions: %d %s", r.status, r.body)
	}
	return out
}

func TestBetterAuthShapes(t *testing.T) {
	e := newEnv(t)
	mac, phone := e.client(uaChromeMac), e.client(uaSafariPhone)
	mac.signUp("ada@example.com")
	in := phone.json("POST", "/api/auth/sign-in/email", `{"email":"ada@example.com","password":"`+testPassword+`","rememberMe":true}`)
	var signIn struct {
		Token    string          `json:"token"`
		Redirect *bool           `json:"redirect"`
		User     json.RawMessage `json:"user"`
	}
	if in.status != 200 || json.Unmarshal([]byte(in.body), &signIn) != nil {
		t.Fatalf("sign-in: %d %s", in.status, in.body)
	}
	if !uuidRE.MatchString(signIn.Token) || signIn.Redirect == nil || *signIn.Redirect {
		t.Errorf("sign-in answer: %s", in.body)
	}
	wantUser := []string{"createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"}
	if got := keysOf(t, signIn.User); !slices.Equal(got, wantUser) {
		t.Errorf("user keys %v, want %v", got, wantUser)
	}

	r := mac.get("/api/auth/get-session")
	var got struct {
		Session json.RawMessage `json:"session"`
		User    json.RawMessage `json:"user"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &got) != nil {
		t.Fatalf("get-session: %d %s", r.status, r.body)
	}
	if keys := keysOf(t, got.User); !slices.Equal(keys, wantUser) {
		t.Errorf("user keys %v", keys)
	}
	for _, k := range []string{"id", "userId", "token", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"} {
		if !slices.Contains(keysOf(t, got.Session), k) {
			t.Errorf("session lacks %q: %s", k, got.Session)
		}
	}
	var s baSessionJSON
	_ = json.Unmarshal(got.Session, &s)
	if s.Token != s.ID || !uuidRE.MatchString(s.Token) || s.UserAgent != uaChromeMac {
		t.Errorf("session: %s", got.Session)
	}
	for _, d := range []string{s.ExpiresAt, s.CreatedAt, s.UpdatedAt} {
		if !jsDate.MatchString(d) {
			t.Errorf("date %q is not in JavaScript's form", d)
		}
	}
	if !strings.Contains(r.header.Get("Cache-Control"), "no-store") {
		t.Error("get-session may be cached")
	}

	list := mac.baSessions()
	if len(list) != 2 || list[0].Token != s.Token || list[1].Token != signIn.Token || list[1].Label != "Safari on iPhone" {
		t.Fatalf("list-sessions: %+v", list)
	}
	raw := mac.get("/api/auth/list-sessions").body + in.body + r.body
	for _, secret := range []string{mac.cookies["session"], phone.cookies["session"]} {
		if secret == "" || strings.Contains(raw, secret) {
			t.Fatal("an answer carries a secret session token")
		}
	}

	if r := e.client(uaChromeMac).get("/api/auth/get-session"); r.status != 200 || r.body != "null" {
		t.Errorf("get-session signed out: %d %s", r.status, r.body)
	}
}

func TestBetterAuthRevokeSessionErrors(t *testing.T) {
	e := newEnv(t)
	mac, phone := e.client(uaChromeMac), e.client(uaSafariPhone)
	mac.signUp("ada@example.com")
	phone.signIn("ada@example.com")
	eve := e.client(uaFirefoxWin)
	eve.signUp("eve@example.com")
	eveID := eve.baSessions()[0].Token

	unknown := mac.json("POST", "/api/auth/revoke-session", `{"token":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"}`)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"another person's handle", `{"token":"` + eveID + `"}`, unknown.status, unknown.body},
		{"not a handle", `{"token":"nope"}`, unknown.status, unknown.body},
		{"a secret token", `{"token":"` + phone.cookies["session"] + `"}`, unknown.status, unknown.body},
		{"malformed json", `{"token":`, 400, `{"error":"invalid_json","code":"VALIDATION_ERROR"`},
		{"no token", `{}`, 400, `"code":"VALIDATION_ERROR"`},
		{"token not a string", `{"token":5}`, 400, `"code":"VALIDATION_ERROR"`},
	}
	if unknown.status != 200 || unknown.body != `{"status":true}` {
		t.Fatalf("unknown handle: %d %s", unknown.status, unknown.body)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mac.json("POST", "/api/auth/revoke-session", tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.want)
			}
		})
	}
	if n := len(mac.baSessions()); n != 2 {
		t.Errorf("%d sessions left, want 2: nothing should have been revoked", n)
	}
	if n := len(eve.baSessions()); n != 1 {
		t.Error("another person's session was revoked")
	}

	nobody := e.client(uaChromeMac)
	for _, path := range []string{"revoke-session", "revoke-other-sessions", "revoke-sessions"} {
		r := nobody.json("POST", "/api/auth/"+path, `{"token":"`+eveID+`"}`)
		if r.status != 401 || !strings.Contains(r.body, `"code":"UNAUTHORIZED"`) {
			t.Errorf("%s signed out: %d %s", path, r.status, r.body)
		}
	}
	if r := nobody.get("/api/auth/list-sessions"); r.status != 401 {
		t.Errorf("list-sessions signed out: %d", r.status)
	}
}

func TestBetterAuthRevoking(t *testing.T) {
	e := newEnv(t)
	mac, phone, win := e.client(uaChromeMac), e.client(uaSafariPhone), e.client(uaFirefoxWin)
	mac.signUp("ada@example.com")
	phone.signIn("ada@example.com")
	win.signIn("ada@example.com")
	list := mac.baSessions()

	if r := mac.json("POST", "/api/auth/revoke-session", `{"token":"`+list[1].Token+`"}`); r.body != `{"status":true}` {
		t.Fatalf("revoke-session: %d %s", r.status, r.body)
	}
	if n := len(mac.baSessions()); n != 2 {
		t.Fatalf("%d sessions after revoking one of 3", n)
	}
	if r := mac.do("POST", "/api/auth/revoke-other-sessions", "", nil); r.body != `{"status":true}` {
		t.Fatalf("revoke-other-sessions: %d %s", r.status, r.body)
	}
	if l := mac.baSessions(); len(l) != 1 || l[0].Token != list[0].Token {
		t.Fatalf("after revoke-other-sessions: %+v", l)
	}

	// Revoking the current session through its handle signs out, cookie and all.
	if r := mac.json("POST", "/api/auth/revoke-session", `{"token":"`+list[0].Token+`"}`); r.body != `{"status":true}` {
		t.Fatalf("revoke current: %d %s", r.status, r.body)
	}
	if _, ok := mac.cookies["session"]; ok {
		t.Error("the cookie was not cleared")
	}

	phone.signIn("ada@example.com")
	win.signIn("ada@example.com")
	if r := win.do("POST", "/api/auth/revoke-sessions", "", nil); r.body != `{"status":true}` {
		t.Fatalf("revoke-sessions: %d %s", r.status, r.body)
	}
	for _, c := range []*client{phone, win} {
		if r := c.get("/api/auth/get-session"); r.body != "null" {
			t.Errorf("still signed in after revoke-sessions: %s", r.body)
		}
	}
	if r := e.client(uaChromeMac).do("POST", "/api/auth/sign-out", "", nil); r.status != 200 || !strings.Contains(r.body, `"success":true`) {
		t.Errorf("sign-out without a session: %d %s", r.status, r.body)
	}
}

func TestBetterAuthSignErrors(t *testing.T) {
	e := newEnv(t)
	e.client(uaChromeMac).signUp("ada@example.com")
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"taken", "sign-up/email", `{"name":"Ada","email":"ADA@example.com","password":"` + testPassword + `"}`, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
		{"short password", "sign-up/email", `{"name":"Ada","email":"b@example.com","password":"short"}`, 400, "PASSWORD_TOO_SHORT"},
		{"bad email", "sign-up/email", `{"name":"Ada","email":"nope","password":"` + testPassword + `"}`, 400, "INVALID_EMAIL"},
		{"sign-up malformed", "sign-up/email", `{"name":`, 400, "VALIDATION_ERROR"},
		{"wrong password", "sign-in/email", `{"email":"ada@example.com","password":"nope nope nope"}`, 401, "INVALID_EMAIL_OR_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.client(uaChromeMac).json("POST", "/api/auth/"+tt.path, tt.body)
			var body struct{ Error, Code, Message string }
			if r.status != tt.status || json.Unmarshal([]byte(r.body), &body) != nil ||
				body.Code != tt.code || body.Message == "" || body.Error == "" {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
}
