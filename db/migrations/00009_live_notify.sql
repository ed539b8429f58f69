-- +goose Up
-- Live security pages (live/ hub): every write to a user's sessions, notices or audit events
-- sends a NOTIFY on channel security_changes from its own transaction, so it is delivered
-- at commit, and only if the change commits. Triggers, so no write path can forget one. The
-- payload is ids only, never a token: "<op>:<user id>:<session id>", op being
--   new  a session started                     end  a session ended (revoked, expired, deleted live)
--   chg  something else of the user changed (a notice, an audit event); session id may be empty.
-- NOTIFY folds identical payloads within one transaction, so a revoke sends one "end" and one
-- "chg" however many statements it ran.

-- +goose StatementBegin
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    op text := 'chg';
    s sessions%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        s := OLD;
        op := 'end';
    ELSE
        s := NEW;
        IF TG_OP = 'INSERT' THEN
            op := 'new';
        ELSIF (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
            OR (OLD.expired_logged_at IS NULL AND NEW.expired_logged_at IS NOT NULL) THEN
            op := 'end';
        END IF;
    END IF;
    PERFORM pg_notify('security_changes', op || ':' || s.user_id || ':' || s.id);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_notify_insert AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_session_change();
-- A last-seen touch changes nothing a page shows live (as in migration 00005).
CREATE TRIGGER sessions_notify_update AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (OLD.last_seen_at = NEW.last_seen_at) EXECUTE FUNCTION notify_session_change();
-- The retention sweep deletes sessions that ended long ago: only a live one's delete is news.
CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND OLD.expired_logged_at IS NULL)
    EXECUTE FUNCTION notify_session_change();

-- Notices and audit events: one "chg" per user a statement touched.
-- +goose StatementBegin
CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('security_changes', 'chg:' || u.user_id || ':')
    FROM (SELECT DISTINCT user_id FROM changed_rows WHERE user_id IS NOT NULL) u;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER notices_notify_insert AFTER INSERT ON notices
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();
CREATE TRIGGER notices_notify_update AFTER UPDATE ON notices
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();
CREATE TRIGGER notices_notify_delete AFTER DELETE ON notices
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();
-- Audit events are only deleted by the retention sweep (old ones), which no page shows live.
CREATE TRIGGER audit_events_notify_insert AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();

-- +goose Down
DROP TRIGGER audit_events_notify_insert ON audit_events;
DROP TRIGGER notices_notify_delete ON notices;
DROP TRIGGER notices_notify_update ON notices;
DROP TRIGGER notices_notify_insert ON notices;
DROP TRIGGER sessions_notify_delete ON sessions;
DROP TRIGGER sessions_notify_update ON sessions;
DROP TRIGGER sessions_notify_insert ON sessions;
DROP FUNCTION notify_user_change();
DROP FUNCTION notify_session_change();
