package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewTokenIsRandomAndHashed(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		token, hash, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 || seen[token] {
			t.Fatalf("bad or repeated token %q", token)
		}
		seen[token] = true
		if !bytes.Equal(hash, HashToken(token)) || len(hash) != 32 {
			t.Fatal("hash is not the SHA-256 of the token")
		}
		parsed, ok := ParseToken(token)
		if !ok || !bytes.Equal(parsed, hash) {
			t.Fatal("a fresh token does not parse")
		}
	}
}

func TestParseTokenRefusesGarbage(t *testing.T) {
	token, _, _ := NewToken()
	for _, bad := range []string{"", "short", token[:42], token + "A", strings.Repeat("!", 43),
		strings.Repeat("A", 42) + "=", token[:42] + "+", strings.Repeat("é", 21) + "A"} {
		if _, ok := ParseToken(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestValidSessionID(t *testing.T) {
	for id, want := range map[string]bool{
		"0b6e8f3c-8d7e-4f5e-9b1a-2f8f9c1d2e3f":   true,
		"0B6E8F3C-8D7E-4F5E-9B1A-2F8F9C1D2E3F":   true,
		"0b6e8f3c8d7e4f5e9b1a2f8f9c1d2e3f":       false,
		"{0b6e8f3c-8d7e-4f5e-9b1a-2f8f9c1d2e3f}": false,
		"urn:uuid:0b6e8f3c-8d7e-4f5e-9b1a-2f8f":  false,
		"0b6e8f3c-8d7e-4f5e-9b1a-2f8f9c1d2e3g":   false,
		"":                                       false,
	} {
		if got := ValidSessionID(id); got != want {
			t.Errorf("%q: got %v", id, got)
		}
	}
}
