package auth

import (
	"context"
	"crypto/rand"
	"fmt"
)

// CSRFKey is the key every instance signs CSRF tokens with: the first instance to start
// stores its random candidate, and all others read that one, so a token made by one
// instance checks on another.
func (s *Service) CSRFKey(ctx context.Context) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, fmt.Errorf("csrf key: %w", err)
	}
	return s.store.SecretKey(ctx, "csrf", candidate)
}
