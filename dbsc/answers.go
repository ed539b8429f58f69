package dbsc

import (
	"encoding/json"
	"strings"
)

// RegistrationHeader is the Secure-Session-Registration value that invites the browser
// to bind the session: the algorithms we accept, where to register, and the challenge
// its proof must sign. Challenges are base64url, so they need no escaping as sf-strings.
func RegistrationHeader(path, challenge string) string {
	return `(ES256 RS256);path="` + path + `";challenge="` + challenge + `"`
}

// ChallengeHeader is the Secure-Session-Challenge value of a refresh's 403.
func ChallengeHeader(challenge, sessionID string) string {
	return `"` + challenge + `";id="` + sessionID + `"`
}

// SessionID reads Sec-Secure-Session-Id, which Chrome sends unquoted (the spec quotes it).
func SessionID(header string) string {
	return strings.Trim(strings.TrimSpace(header), `"`)
}

// Instructions is the JSON session config a registration or refresh answers with.
type Instructions struct {
	SessionIdentifier string       `json:"session_identifier"`
	RefreshURL        string       `json:"refresh_url"`
	Scope             Scope        `json:"scope"`
	Credentials       []Credential `json:"credentials"`
}

// Scope is where the session applies: our origin only. include_site must be false on an
// origin with a port (Chrome refuses it otherwise), and we never need our siblings.
type Scope struct {
	IncludeSite        bool     `json:"include_site"`
	ScopeSpecification []string `json:"scope_specification"`
}

// Credential names a bound cookie; Attributes must be those of its Set-Cookie.
type Credential struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Attributes string `json:"attributes"`
}

// Config is the instructions for one session bound to one cookie.
func Config(sessionID, refreshURL, cookieName, attributes string) []byte {
	b, _ := json.Marshal(Instructions{ // strings only: cannot fail
		SessionIdentifier: sessionID, RefreshURL: refreshURL,
		Scope:       Scope{ScopeSpecification: []string{}},
		Credentials: []Credential{{Type: "cookie", Name: cookieName, Attributes: attributes}},
	})
	return b
}

// Terminate is the body that tells the browser to drop its session ("continue": false);
// sent with a 4xx, which ends it by itself too (spec, "refresh a session").
func Terminate() []byte { return []byte(`{"continue":false}`) }
