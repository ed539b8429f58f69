package db

import (
	"context"
	"fmt"
	"time"
)

// SessionCursor is a position in a user's sessions, newest first: sessions strictly older
// than (CreatedAt, ID) come after it.
type SessionCursor struct {
	CreatedAt time.Time
	ID        string
}

// ExportSessions lists a page of all a user's sessions, live and ended, newest first,
// after the cursor when one is given: the export reads them page by page (keyset), so a
// long history is never held at once and no statement runs long.
func (s *Store) ExportSessions(ctx context.Context, userID string, after *SessionCursor, limit int) ([]Session, error) {
	var rows []Session
	var err error
	if after == nil {
		err = s.db.SelectContext(ctx, &rows, `
			SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1
			ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	} else {
		err = s.db.SelectContext(ctx, &rows, `
			SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 AND (created_at, id) < ($2, $3::uuid)
			ORDER BY created_at DESC, id DESC LIMIT $4`, userID, after.CreatedAt, after.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("export sessions of %s: %w", userID, err)
	}
	return rows, nil
}
