-- +goose Up
-- The last-seen write (TouchSession) runs for most session checks on real traffic. An index
-- on last_seen_at makes every one of them a non-HOT update: a new tuple in every index of
-- sessions. SESSION_LIMIT's eviction reads all of a user's live sessions anyway (it counts
-- them) through sessions_user_active_idx, so this index bought nothing.
DROP INDEX sessions_user_last_seen_idx;
-- Room in each page for the updated tuple, so the write stays a heap-only (HOT) update.
ALTER TABLE sessions SET (fillfactor = 85);

-- +goose Down
ALTER TABLE sessions RESET (fillfactor);
CREATE INDEX sessions_user_last_seen_idx ON sessions (user_id, last_seen_at) WHERE revoked_at IS NULL;
