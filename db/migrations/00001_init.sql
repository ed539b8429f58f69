-- +goose Up
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    name          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique whatever their case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE sessions (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash            bytea NOT NULL,
    user_agent            text NOT NULL DEFAULT '',
    ip                    text NOT NULL DEFAULT '',
    browser               text NOT NULL DEFAULT '',
    os                    text NOT NULL DEFAULT '',
    device_type           text NOT NULL DEFAULT '',
    label                 text NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL DEFAULT now(),
    last_seen_at          timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL,
    revoked_at            timestamptz,
    revoked_by_session_id uuid,
    revoke_reason         text NOT NULL DEFAULT ''
);
-- The lookup on every request.
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
-- The sessions page: a user's live sessions, newest first.
CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL;

-- Server-side secrets shared by every app instance (CSRF key).
CREATE TABLE app_secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);

-- +goose Down
DROP TABLE app_secrets;
DROP TABLE sessions;
DROP TABLE users;
