-- +goose Up
-- The security page's "recently ended" list orders a user's ended sessions by when each
-- ended, LEAST(revoked_at, expires_at, last_seen_at + idle, created_at + lifetime), and
-- counts them; for a revoked session that read its heap tuple, one page each (most of the
-- page's statement: BENCHMARKS.md, issue 28). This index holds all of it for the revoked
-- ones, so the list counts and orders them from the index alone and reads only the ten
-- shown. last_seen_at itself cannot be in an index: the last-seen write would stop being a
-- heap-only update (00012). revoked_last_seen_at is last_seen_at once the session is
-- revoked, NULL before, so that write leaves it (and so the index) as it was. It replaces
-- sessions_user_ended_idx, which no query used. Adding a stored column rewrites the table
-- under an exclusive lock, as 00010's device_bound did: on a held bench cluster of a million
-- sessions (2 cores) the column, the index and a VACUUM ANALYZE took 8.8 s, during which
-- the instances already running wait for it.
ALTER TABLE sessions ADD COLUMN revoked_last_seen_at timestamptz
    GENERATED ALWAYS AS (CASE WHEN revoked_at IS NOT NULL THEN last_seen_at END) STORED;
CREATE INDEX sessions_user_revoked_ends_idx ON sessions (user_id)
    INCLUDE (id, revoked_at, expires_at, created_at, revoked_last_seen_at, revoked_by_session_id, revoke_reason)
    WHERE revoked_at IS NOT NULL;
DROP INDEX sessions_user_ended_idx;

-- +goose Down
CREATE INDEX sessions_user_ended_idx ON sessions (user_id, created_at DESC) WHERE revoked_at IS NOT NULL;
DROP INDEX sessions_user_revoked_ends_idx;
ALTER TABLE sessions DROP COLUMN revoked_last_seen_at;
