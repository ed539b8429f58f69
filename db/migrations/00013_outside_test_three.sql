-- +goose Up
-- Issue 26 (third outside test).

-- Finding 1: a known device's exemption from the account's sign-in limit holds only for
-- the password it was earned with. credential is a SHA-256 of the password hash the
-- browser last signed in with (never the hash itself); any change of the password makes it
-- stale. Rows from before start with none: nobody can tell which password earned them, so
-- each earns the exemption again at its next sign-in (it stays "known": no new-device mail).
-- last_seen_at orders the account's known devices for the cap (oldest forgotten first).
ALTER TABLE known_devices ADD COLUMN credential bytea;
ALTER TABLE known_devices ADD COLUMN last_seen_at timestamptz;
UPDATE known_devices SET last_seen_at = first_seen_at;
ALTER TABLE known_devices ALTER COLUMN last_seen_at SET NOT NULL;
ALTER TABLE known_devices ALTER COLUMN last_seen_at SET DEFAULT now();
CREATE INDEX known_devices_user_seen_idx ON known_devices (user_id, last_seen_at DESC);

-- A dismissed notice is hidden only for the session that dismissed it: an intruder's
-- earlier session cannot hide a later sign-in from the owner's devices. Dismissals made
-- before this (notices.dismissed_at) stay hidden for every session, as they were. A
-- dismissal changes the security page, so it moves the revision (00005) like the rest.
CREATE TABLE notice_dismissals (
    notice_id    bigint NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dismissed_at timestamptz NOT NULL,
    PRIMARY KEY (notice_id, session_id)
);
CREATE INDEX notice_dismissals_session_idx ON notice_dismissals (session_id);
CREATE TRIGGER notice_dismissals_rev_insert AFTER INSERT ON notice_dismissals
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_security_rev();

-- How many of the account's sessions a sign-in ended through SESSION_LIMIT: such a
-- sign-in raises a notice even from a known device.
ALTER TABLE notices ADD COLUMN evicted integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE notices DROP COLUMN evicted;
DROP TRIGGER notice_dismissals_rev_insert ON notice_dismissals;
DROP TABLE notice_dismissals;
DROP INDEX known_devices_user_seen_idx;
ALTER TABLE known_devices DROP COLUMN last_seen_at;
ALTER TABLE known_devices DROP COLUMN credential;
