-- +goose Up
-- users.security_rev lets an app instance keep a user's session list (and the security page
-- built from it) in memory and still never serve it stale: the token lookup that every
-- request makes reads it with the session, and a cached copy is used only while its revision
-- is still the user's. Every statement that writes the user's sessions, notices or audit
-- events moves it forward (triggers, so no writer can forget), except a last-seen touch. It is a counter on the user's
-- row, not a sequence, on purpose: the row lock orders a user's writers, so a revision is
-- taken in commit order and one revision number always means one state (with a sequence, a
-- slow transaction could commit a lower number after a reader had cached the higher one).
-- It starts at 1 (0 means "unknown" to the app); a user created in a transaction has no
-- earlier state, so the writes of that same transaction need not move it.
ALTER TABLE users ADD COLUMN security_rev bigint NOT NULL DEFAULT 1;

-- Statement-level with transition tables: "revoke all others" moves the revision once, not
-- once per session. Each event needs its own trigger (transition tables allow one event).
-- A user row this transaction already wrote (xmin is ours) has had its revision moved: the
-- lock is held to commit, so once per transaction is enough, and a second update of the hot
-- row halved the throughput of revocations (a revoke writes a session and an audit event).
-- +goose StatementBegin
CREATE FUNCTION bump_security_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET security_rev = security_rev + 1
    WHERE id IN (SELECT DISTINCT user_id FROM changed_rows)
        AND xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- So that "already written in this transaction" always means "revision moved", any other
-- update of a user (a new password, say) moves the revision too.
-- +goose StatementBegin
CREATE FUNCTION users_bump_security_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.security_rev = OLD.security_rev THEN
        NEW.security_rev := OLD.security_rev + 1;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER users_rev_update BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_bump_security_rev();

CREATE TRIGGER sessions_rev_insert AFTER INSERT ON sessions
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();
-- A last-seen touch (once a minute per busy session) is the one session write that does not
-- move the revision: it changes only "last active", and moving the revision for it made
-- every cached view of a user with 50 busy sessions stale 50 times a minute. Cached views
-- live 10 s at most (auth.Config.ViewCacheTTL), which bounds how late "last active" shows.
-- Row-level, as a WHEN clause cannot see transition tables; the xmin check makes the rows
-- after the first of a statement cheap.
-- +goose StatementBegin
CREATE FUNCTION bump_security_rev_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET security_rev = security_rev + 1
    WHERE id = NEW.user_id AND xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_rev_update AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (OLD.last_seen_at = NEW.last_seen_at) EXECUTE FUNCTION bump_security_rev_row();
CREATE TRIGGER sessions_rev_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();

CREATE TRIGGER notices_rev_insert AFTER INSERT ON notices
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();
CREATE TRIGGER notices_rev_update AFTER UPDATE ON notices
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();
CREATE TRIGGER notices_rev_delete AFTER DELETE ON notices
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();

CREATE TRIGGER audit_events_rev_insert AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();
CREATE TRIGGER audit_events_rev_delete AFTER DELETE ON audit_events
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();

-- +goose Down
DROP TRIGGER audit_events_rev_delete ON audit_events;
DROP TRIGGER audit_events_rev_insert ON audit_events;
DROP TRIGGER notices_rev_delete ON notices;
DROP TRIGGER notices_rev_update ON notices;
DROP TRIGGER notices_rev_insert ON notices;
DROP TRIGGER sessions_rev_delete ON sessions;
DROP TRIGGER sessions_rev_update ON sessions;
DROP TRIGGER sessions_rev_insert ON sessions;
DROP TRIGGER users_rev_update ON users;
DROP FUNCTION users_bump_security_rev();
DROP FUNCTION bump_security_rev_row();
DROP FUNCTION bump_security_rev();
ALTER TABLE users DROP COLUMN security_rev;
