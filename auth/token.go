package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"
)

// tokenBytes is the secret's entropy: 256 bits, far past ASVS 3.2.2's 64.
const tokenBytes = 32

// tokenLen is the length of a token in unpadded base64url.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// NewToken returns a fresh secret session token and the hash that is stored for it.
func NewToken() (token string, hash []byte, err error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	return token, HashToken(token), nil
}

// HashToken is the SHA-256 of a token: what the database keeps and looks up.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ParseToken checks that a cookie value has a token's shape and returns its hash;
// garbage never reaches the database.
func ParseToken(value string) ([]byte, bool) {
	if len(value) != tokenLen {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	return HashToken(value), true
}

// ValidSessionID reports whether id is a UUID in its 36-character form, the shape of a
// public session id.
func ValidSessionID(id string) bool {
	_, ok := ParseSessionID(id)
	return ok
}

// ParseSessionID returns the canonical (lower-case) form of a public session id, so that
// comparisons with stored ids cannot be dodged by changing the case.
func ParseSessionID(id string) (string, bool) {
	if len(id) != 36 {
		return "", false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return "", false
	}
	return u.String(), true
}
