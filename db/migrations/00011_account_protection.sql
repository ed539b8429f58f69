-- +goose Up
-- Account protection (issue 16).
-- proven_at: when this session last proved the password (sign-in, re-authentication, a
-- password change). Ending other sessions needs it within REAUTH_WINDOW ("sudo mode").
ALTER TABLE sessions ADD COLUMN proven_at timestamptz;
UPDATE sessions SET proven_at = created_at;
ALTER TABLE sessions ALTER COLUMN proven_at SET NOT NULL;
-- Rows inserted by tools (seeds, load tests) count as proven when they were written.
ALTER TABLE sessions ALTER COLUMN proven_at SET DEFAULT now();
-- persistent: "Keep me signed in" was checked; false gives a browser-session cookie and a
-- short absolute lifetime (stored in expires_at).
ALTER TABLE sessions ADD COLUMN persistent boolean NOT NULL DEFAULT true;
-- device_hash: the known_devices hash of the browser that signed in, so "Not you?" can
-- forget that browser. NULL when the browser sent no device cookie.
ALTER TABLE sessions ADD COLUMN device_hash bytea;
-- SESSION_LIMIT picks the least recently active live session of a user.
CREATE INDEX sessions_user_last_seen_idx ON sessions (user_id, last_seen_at) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX sessions_user_last_seen_idx;
ALTER TABLE sessions DROP COLUMN device_hash;
ALTER TABLE sessions DROP COLUMN persistent;
ALTER TABLE sessions DROP COLUMN proven_at;
