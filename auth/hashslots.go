package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/docodego/sessions/internal/gate"
)

// BusyError refuses a request that waited too long for a password-hashing slot: the
// server is saturated, so the client should come back (503 with Retry-After).
type BusyError struct {
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("password hashing busy, retry after %s", e.RetryAfter)
}

// HashSlots bounds how many password hashes run at once. Each argon2id run takes 19 MiB
// and a core for ~40 ms: unbounded, a burst of sign-ups took the process from 53 MB to
// 206 MB and starved every other request of CPU. Past the bound, requests queue for at
// most the wait and are then refused. One HashSlots serves every KDF run of the process
// (sign-up, sign-in, password change, re-authentication).
type HashSlots struct{ gate *gate.Gate }

// NewHashSlots allows n concurrent hashes (at least 1); a request waits at most wait.
func NewHashSlots(n int, wait time.Duration) *HashSlots {
	return &HashSlots{gate: gate.New(n, wait)}
}

// Acquire takes a slot, waiting at most the configured time (or until ctx ends); it
// returns the function that gives the slot back, or a *BusyError.
func (h *HashSlots) Acquire(ctx context.Context) (release func(), err error) {
	if release, ok := h.gate.Acquire(ctx); ok {
		return release, nil
	}
	return nil, &BusyError{RetryAfter: time.Second}
}

// hashPassword is HashPassword within a hashing slot.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlots.Acquire(ctx)
	if err != nil {
		return "", err
	}
	params := s.conf().Password
	return runKDF(ctx, release, func() (string, error) { return HashPassword(password, params) })
}

// verifyPassword is the password check (CheckPassword unless a test replaced it) within
// a hashing slot. Every check of a password against a stored hash goes through it.
func (s *Service) verifyPassword(ctx context.Context, password, encoded string) (bool, error) {
	release, err := s.hashSlots.Acquire(ctx)
	if err != nil {
		return false, err
	}
	check := s.checkPassword
	return runKDF(ctx, release, func() (bool, error) { return check(password, encoded) })
}

// runKDF runs kdf, a password hash or check, in the slot that release gives back, and
// waits for it only until ctx ends: a KDF cannot be stopped, and on a starved CPU one
// that takes ~40 ms took seconds (make test-ha saw sign-ins answer 1.4 s past their
// deadline), so the request answers busy at its deadline instead. The slot goes back
// when kdf ends, not when the caller stops waiting, so no more hashes run than there are
// slots.
func runKDF[T any](ctx context.Context, release func(), kdf func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	if ctx.Err() != nil { // the slot came as the deadline passed: hash for nobody
		release()
		var zero T
		return zero, &BusyError{RetryAfter: time.Second}
	}
	done := make(chan result, 1) // buffered: the KDF never waits for a caller that left
	go func() {
		v, err := kdf()
		release() // before the answer: a caller that got it finds the slot free
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, &BusyError{RetryAfter: time.Second}
	}
}
