package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// User is a row of the users table.
type User struct {
	ID           string    `db:"id"`
	Email        string    `db:"email"`
	Name         string    `db:"name"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
	// EmailVerifiedAt is when the owner followed a verification link; until then no
	// security mail goes to the address.
	EmailVerifiedAt sql.NullTime `db:"email_verified_at"`
}

// CreateUser inserts a user; an email already in use (any case) gives ErrEmailTaken.
func (t *Tx) CreateUser(ctx context.Context, email, name, passwordHash string) (User, error) {
	var u User
	err := t.tx.GetContext(ctx, &u, `
		INSERT INTO users (email, name, password_hash)
		VALUES ($1, $2, $3)
		RETURNING id, email, name, password_hash, created_at, updated_at, email_verified_at`,
		email, name, passwordHash)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds a user by email, ignoring case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `
		SELECT id, email, name, password_hash, created_at, updated_at, email_verified_at
		FROM users WHERE lower(email) = lower($1)`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("user by email: %w", err)
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	// Prepared: the security page reads it on every view (one round trip, not two).
	err := s.getPrepared(ctx, &u, `
		SELECT id, email, name, password_hash, created_at, updated_at, email_verified_at
		FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("user by id: %w", err)
	}
	return u, nil
}

// SecurityRevision is the user's security_rev now: it moves with every write to what the
// security page shows (migration 00005). ErrNotFound for an unknown user.
func (s *Store) SecurityRevision(ctx context.Context, userID string) (int64, error) {
	var rev int64
	err := s.db.GetContext(ctx, &rev, `SELECT security_rev FROM users WHERE id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("security revision of %s: %w", userID, err)
	}
	return rev, nil
}

// SecretKey returns the named shared secret, storing candidate first if none exists yet,
// so every app instance on one database ends up with the same key.
func (s *Store) SecretKey(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	var value []byte
	err := s.db.GetContext(ctx, &value, `
		WITH ins AS (
			INSERT INTO app_secrets (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO NOTHING
			RETURNING value
		)
		SELECT value FROM ins
		UNION ALL
		SELECT value FROM app_secrets WHERE name = $1
		LIMIT 1`, name, candidate)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", name, err)
	}
	return value, nil
}
