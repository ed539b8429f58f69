package dbsc_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/docodego/sessions/dbsc"
	"github.com/docodego/sessions/dbsc/dbsctest"
)

func TestVerifyRegistrationAsChromeSendsIt(t *testing.T) {
	for _, pair := range [][2]*dbsctest.Key{{dbsctest.NewKey(), dbsctest.NewKey()}, {dbsctest.NewRSAKey(), dbsctest.NewRSAKey()}} {
		k, other := pair[0], pair[1]
		p, err := dbsc.VerifyRegistration(k.Registration("c-123"))
		if err != nil {
			t.Fatal(err)
		}
		if p.JTI != "c-123" {
			t.Fatalf("jti = %q", p.JTI)
		}
		stored, err := p.KeyJSON()
		if err != nil {
			t.Fatal(err)
		}
		// The stored key verifies the refresh proof, which carries no key.
		r, err := dbsc.VerifyRefresh(k.Refresh("c-456"), stored)
		if err != nil || r.JTI != "c-456" {
			t.Fatalf("refresh: %+v %v", r, err)
		}
		if _, err := dbsc.VerifyRefresh(other.Refresh("c-456"), stored); !errors.Is(err, dbsc.ErrSignature) {
			t.Fatalf("another key's refresh: %v", err)
		}
	}
}

func TestVerifyRegistrationRefuses(t *testing.T) {
	k, other := dbsctest.NewKey(), dbsctest.NewKey()
	good := k.Registration("c")
	parts := strings.Split(good, ".")
	otherSig := strings.Split(other.Registration("c"), ".")[2]
	b64 := base64.RawURLEncoding
	hs256 := func() string {
		in := b64.EncodeToString([]byte(`{"alg":"HS256","jwk":`+k.JWK()+`,"typ":"dbsc+jwt"}`)) + "." + parts[1]
		m := hmac.New(sha256.New, []byte("guessable"))
		m.Write([]byte(in))
		return in + "." + b64.EncodeToString(m.Sum(nil))
	}
	cases := []struct {
		name  string
		proof string
		want  error
	}{
		{"bad signature", parts[0] + "." + parts[1] + "." + otherSig, dbsc.ErrSignature},
		{"alg none", b64.EncodeToString([]byte(`{"alg":"none","jwk":`+k.JWK()+`,"typ":"dbsc+jwt"}`)) + "." + parts[1] + ".", dbsc.ErrAlgorithm},
		{"alg HS256", hs256(), dbsc.ErrAlgorithm},
		{"missing jwk", k.Refresh("c"), dbsc.ErrMissingKey},
		{"wrong typ", k.Sign(`{"alg":"ES256","jwk":`+k.JWK()+`,"typ":"JWT"}`, "c"), dbsc.ErrType},
		{"no typ", k.Sign(`{"alg":"ES256","jwk":`+k.JWK()+`}`, "c"), dbsc.ErrType},
		{"RS256 header with an EC key", k.Sign(`{"alg":"RS256","jwk":`+k.JWK()+`,"typ":"dbsc+jwt"}`, "c"), dbsc.ErrKey},
		{"ES256 header with an RSA key", dbsctest.NewRSAKey().Sign(`{"alg":"ES256","jwk":`+dbsctest.NewRSAKey().JWK()+`,"typ":"dbsc+jwt"}`, "c"), dbsc.ErrKey},
		{"empty jti", k.Registration(""), dbsc.ErrNoJTI},
		{"empty", "", dbsc.ErrMalformed},
		{"garbage", "a.b.c", dbsc.ErrMalformed},
		{"too long", strings.Repeat("a", 5000), dbsc.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := dbsc.VerifyRegistration(c.proof); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	if got := dbsc.RegistrationHeader("/dbsc/register", "abc"); got != `(ES256 RS256);path="/dbsc/register";challenge="abc"` {
		t.Fatal(got)
	}
	if got := dbsc.ChallengeHeader("new", "s1"); got != `"new";id="s1"` {
		t.Fatal(got)
	}
	for _, h := range []string{`s1`, `"s1"`, ` "s1" `} {
		if dbsc.SessionID(h) != "s1" {
			t.Fatalf("SessionID(%q)", h)
		}
	}
	want := `{"session_identifier":"s1","refresh_url":"/r","scope":{"include_site":false,"scope_specification":[]},` +
		`"credentials":[{"type":"cookie","name":"__Host-bound","attributes":"Path=/; Secure; HttpOnly; SameSite=Lax"}]}`
	if got := string(dbsc.Config("s1", "/r", "__Host-bound", "Path=/; Secure; HttpOnly; SameSite=Lax")); got != want {
		t.Fatalf("config:\n%s\nwant\n%s", got, want)
	}
}
