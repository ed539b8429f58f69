// Package auth holds the rules of accounts and sessions: passwords, tokens, sign-in,
// expiry and revocation. It knows nothing of HTTP.
package auth

import (
	"errors"
	"fmt"
)

// Errors the handlers turn into answers; each means one thing to the person or client.
var (
	ErrInvalidCredentials = errors.New("invalid email or password")
	ErrNoSession          = errors.New("not signed in")
	ErrSessionRevoked     = errors.New("session revoked")
	ErrSessionExpired     = errors.New("session expired")
	ErrSessionNotFound    = errors.New("session not found")
	ErrCurrentSession     = errors.New("this is the current session")
	ErrEmailTaken         = errors.New("email already registered")
	// ErrReauthRequired refuses ending other sessions outside the re-authentication window.
	ErrReauthRequired = errors.New("reauthentication required")
	// ErrSessionEvicted is a session revoked by a sign-in past SESSION_LIMIT; it is also
	// ErrSessionRevoked, so every answer to a revoked session covers it.
	ErrSessionEvicted = fmt.Errorf("%w: evicted by the session limit", ErrSessionRevoked)
	// ErrSessionEndedByPolicy is a session ended by an administrator's policy change; it is
	// also ErrSessionRevoked.
	ErrSessionEndedByPolicy = fmt.Errorf("%w: ended by a policy change", ErrSessionRevoked)
	// ErrEmailUnverified refuses a right password while the policy keeps unverified
	// accounts out.
	ErrEmailUnverified = errors.New("email address not verified")
)

// Why a session was revoked (sessions.revoke_reason) when it was not its owner's choice.
const (
	ReasonSessionLimit   = "session_limit"   // evicted by a sign-in past SESSION_LIMIT
	ReasonAccountSecured = "account_secured" // ended by "Not you? Secure your account"
	ReasonPolicyChange   = "policy_change"   // ended by an administrator's policy change
)

// revokedError is the refusal of a session revoked for reason: each is ErrSessionRevoked,
// and the ones its device is told apart about are their own.
func revokedError(reason string) error {
	switch reason {
	case ReasonSessionLimit:
		return ErrSessionEvicted
	case ReasonPolicyChange:
		return ErrSessionEndedByPolicy
	}
	if code, ok := AdminEndReason(reason); ok {
		return &AdminEndedError{Reason: code}
	}
	return ErrSessionRevoked
}

// InputError says which field of a form or body is wrong and why, as a message id.
type InputError struct {
	Field string // "name", "email", "password"
	Code  string // a message id such as "error.password_too_short"
}

func (e *InputError) Error() string { return e.Field + ": " + e.Code }
