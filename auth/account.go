package auth

import (
	"context"
	"fmt"
	"time"
)

// Account is the signed-in person as clients see them: no password hash.
type Account struct {
	ID        string
	Email     string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// EmailVerified: the owner followed a verification link (better-auth's emailVerified).
	EmailVerified bool
}

// Account loads the signed-in person's account, for answers that show its dates.
func (s *Service) Account(ctx context.Context, cur Current) (Account, error) {
	u, err := s.store.UserByID(ctx, cur.UserID)
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", cur.UserID, err)
	}
	return Account{ID: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		EmailVerified: u.EmailVerifiedAt.Valid}, nil
}
