package auth

import "context"

// Ping checks that the database behind the service answers, for the readiness probe.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }
