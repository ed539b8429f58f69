-- +goose Up
-- Security policies set by administrators at runtime (issue 25). A row overrides the
-- environment's initial value of one policy; no row: the environment's value applies.
-- value is text in one canonical form per kind: seconds for durations, a number, true/false.
CREATE TABLE policies (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT ''
);

-- Every change of a policy: old value (the one in force, environment or row), new value,
-- who (the administrator's account and email, from where) and when. Append-only.
CREATE TABLE policy_history (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    old_value     text NOT NULL,
    new_value     text NOT NULL,
    by_user_id    uuid,
    by_email      text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT '',
    changed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_history_time_idx ON policy_history (changed_at DESC, id DESC);
CREATE TRIGGER policy_history_no_update BEFORE UPDATE ON policy_history
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Every instance keeps one snapshot of the policies and replaces it when told: "pol::" on
-- the live channel (live/listener.go), delivered at commit, once per transaction.
-- +goose StatementBegin
CREATE FUNCTION notify_policy_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('security_changes', 'pol::');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER policies_notify AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION notify_policy_change();

-- +goose Down
DROP TRIGGER policies_notify ON policies;
DROP FUNCTION notify_policy_change();
DROP TABLE policy_history;
DROP TABLE policies;
