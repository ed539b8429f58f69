package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Notice is an in-app "new sign-in" notice with the session it is about.
type Notice struct {
	ID        int64     `db:"id"`
	SessionID string    `db:"session_id"`
	CreatedAt time.Time `db:"created_at"`
	Browser   string    `db:"browser"`
	OS        string    `db:"os"`
	IP        string    `db:"ip"`
	// Where the session signed in, and whether it was the account's first from there.
	City        string `db:"city"`
	CountryCode string `db:"country_code"`
	NewCountry  bool   `db:"new_country"`
	// Evicted is how many of the account's sessions the sign-in ended past SESSION_LIMIT.
	Evicted int `db:"evicted"`
}

// CreateNotice tells the user's other sessions about a new sign-in, and how many of their
// sessions it ended past the session limit.
func (t *Tx) CreateNotice(ctx context.Context, userID, sessionID string, newCountry bool, evicted int, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO notices (user_id, session_id, created_at, new_country, evicted) VALUES ($1, $2, $3, $4, $5)`,
		userID, sessionID, now, newCountry, evicted)
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	return nil
}

// DismissNotice hides a notice from viewerID, the session dismissing it, and from no other:
// which must be one the notice is shown to (SecurityActivity): not the session it is about,
// and older than it. Anything else, or an unknown or another user's notice, is ErrNotFound.
// Dismissing again changes nothing.
func (t *Tx) DismissNotice(ctx context.Context, userID, viewerID string, id int64, now time.Time) error {
	var got int64
	err := t.tx.GetContext(ctx, &got, `
		INSERT INTO notice_dismissals (notice_id, session_id, user_id, dismissed_at)
		SELECT n.id, v.id, n.user_id, $4
		FROM notices n JOIN sessions v ON v.id = $3 AND v.user_id = $2
		WHERE n.id = $1 AND n.user_id = $2 AND n.session_id <> v.id AND n.created_at > v.created_at
		ON CONFLICT (notice_id, session_id) DO UPDATE SET dismissed_at = notice_dismissals.dismissed_at
		RETURNING notice_id`, id, userID, viewerID, now)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("dismiss notice %d: %w", id, err)
	}
	return nil
}
