package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DBSC challenges are signed, not stored: nonce, expiry and an HMAC (the bound-cookie key,
// which every instance shares) over them, the session and what the challenge is for. Issuing
// one writes nothing, so a copy of the session cookie that asks for challenges all day
// fills nothing the device needs; only their use is stored (db.UseDBSCChallenge), once.

// challengePurpose keeps a refresh challenge from serving as a registration one and back.
type challengePurpose string

const (
	purposeRegister challengePurpose = "register"
	purposeRefresh  challengePurpose = "refresh"
)

const (
	challengeNonceLen = 16
	challengeLen      = challengeNonceLen + 8 + sha256.Size // nonce, expiry (Unix seconds), MAC
)

// RegistrationChallenge is a challenge for the registration a page sign-in invites.
func (s *Service) RegistrationChallenge(sessionID string) string {
	return s.newChallenge(sessionID, purposeRegister)
}

// RefreshChallenge is a challenge for a refresh of the session's bound cookie.
func (s *Service) RefreshChallenge(sessionID string) string {
	return s.newChallenge(sessionID, purposeRefresh)
}

func (s *Service) newChallenge(sessionID string, purpose challengePurpose) string {
	b := make([]byte, challengeLen)
	_, _ = rand.Read(b[:challengeNonceLen]) // never fails (crypto/rand, Go 1.24+)
	binary.BigEndian.PutUint64(b[challengeNonceLen:], uint64(s.now().Add(challengeTTL).Unix()))
	copy(b[challengeNonceLen+8:], s.challengeMAC(sessionID, purpose, b[:challengeNonceLen+8]))
	return base64.RawURLEncoding.EncodeToString(b)
}

// challengeExpiry checks that challenge is one of ours, for this session and purpose, and
// still live; it returns when it expires.
func (s *Service) challengeExpiry(sessionID string, purpose challengePurpose, challenge string) (time.Time, bool) {
	b, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(b) != challengeLen {
		return time.Time{}, false
	}
	if !hmac.Equal(b[challengeNonceLen+8:], s.challengeMAC(sessionID, purpose, b[:challengeNonceLen+8])) {
		return time.Time{}, false
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(b[challengeNonceLen:])), 0)
	return expires, s.now().Before(expires)
}

func (s *Service) challengeMAC(sessionID string, purpose challengePurpose, nonceAndExpiry []byte) []byte {
	m := hmac.New(sha256.New, s.binding.key)
	m.Write([]byte("dbsc-challenge\x00" + string(purpose) + "\x00" + sessionID + "\x00"))
	m.Write(nonceAndExpiry)
	return m.Sum(nil)
}
