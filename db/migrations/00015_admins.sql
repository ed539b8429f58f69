-- +goose Up
-- Administrators (issue 25): a role held in the database, granted only from the command line
-- (`sessions admin grant EMAIL`), never by sign-up. granted_by says who granted it: the OS
-- user of the command line.
CREATE TABLE admins (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    granted_by text NOT NULL DEFAULT ''
);

-- The administrators' audit trail: every request through the admin guard, and every grant
-- and revoke from the command line. Who (the admin's account and session, or the OS user of
-- the command line), from where (address, user agent), what (method and route, the person
-- acted on) and how it ended (status). Append-only like audit_events; not a foreign key on
-- users, so it outlives the accounts it names.
CREATE TABLE admin_audit (
    id             bigserial PRIMARY KEY,
    actor_user_id  uuid,
    actor_email    text NOT NULL DEFAULT '',
    actor_session  uuid,
    action         text NOT NULL,
    target_user_id uuid,
    ip             text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT '',
    status         integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    details        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_time_idx ON admin_audit (created_at DESC, id DESC);
CREATE INDEX admin_audit_target_idx ON admin_audit (target_user_id, created_at DESC) WHERE target_user_id IS NOT NULL;
CREATE TRIGGER admin_audit_no_update BEFORE UPDATE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE admin_audit;
DROP TABLE admins;
