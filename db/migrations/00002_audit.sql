-- +goose Up
-- The audit log: append-only (an UPDATE is refused; only the retention janitor deletes).
-- session_id is the session an event concerns, actor_session_id the one that acted; neither
-- is a foreign key, so events outlive the sessions the janitor removes.
CREATE TABLE audit_events (
    id               bigserial PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type             text NOT NULL,
    session_id       uuid,
    actor_session_id uuid,
    ip               text NOT NULL DEFAULT '',
    device_label     text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    details          jsonb NOT NULL DEFAULT '{}'
);
-- "Recent security activity" and its keyset pagination: (created_at, id) descending.
CREATE INDEX audit_events_user_time_idx ON audit_events (user_id, created_at DESC, id DESC);
-- The retention janitor deletes the oldest first.
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- A session's expiry is logged once, when a request first finds it expired.
ALTER TABLE sessions ADD COLUMN expired_logged_at timestamptz;
-- The janitor and "recently ended sessions" look for revoked sessions by time.
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_user_ended_idx ON sessions (user_id, created_at DESC) WHERE revoked_at IS NOT NULL;

-- Browsers that have signed in to an account: a sign-in from any other is "new".
-- device_hash is sha256 of the device-id cookie, never the cookie itself.
CREATE TABLE known_devices (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_hash  bytea NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device_hash)
);

-- In-app "new sign-in" notices, shown to the user's older sessions until dismissed.
CREATE TABLE notices (
    id           bigserial PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz
);
CREATE INDEX notices_user_open_idx ON notices (user_id, created_at DESC) WHERE dismissed_at IS NULL;

-- Mail waiting to be sent. A worker claims due rows with FOR UPDATE SKIP LOCKED, sends,
-- and marks them sent in the same transaction, so two instances never send one twice.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    sent_via        text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE notices;
DROP TABLE known_devices;
DROP INDEX sessions_user_ended_idx;
DROP INDEX sessions_revoked_idx;
ALTER TABLE sessions DROP COLUMN expired_logged_at;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
