-- +goose Up
-- Email verification: security mail goes only to addresses their owner has proven.
-- Accounts that existed before this migration start unverified.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Single-use verification links. Only a SHA-256 of the link's token is kept; email is the
-- address the link proves (a link for an older address verifies nothing).
CREATE TABLE email_verifications (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);

-- At most one "new sign-in" mail per account per interval: when the last one was (or is
-- scheduled to be) sent, and the digest still collecting the sign-ins that came after it.
-- The row is locked by each new-device sign-in of the account, which orders them.
CREATE TABLE sign_in_mail_slots (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_mail_at timestamptz,
    digest_id    bigint
);

-- Simple counters for limits that are not sign-in attempts: sign-ups per IP, current-
-- password checks per session, verification mails per account. key is the thing limited.
CREATE TABLE rate_limit_hits (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope  text NOT NULL,
    key    text NOT NULL,
    hit_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_hits_key_idx ON rate_limit_hits (scope, key, hit_at);
CREATE INDEX rate_limit_hits_purge_idx ON rate_limit_hits (scope, hit_at);

-- OWASP "device cookies": an attempt from a browser that has signed in to the account
-- before carries the hash of its device id; it counts against that device (and its IP),
-- never against the account, so strangers cannot lock the owner out.
ALTER TABLE login_attempts ADD COLUMN device_key bytea;
CREATE INDEX login_attempts_device_idx ON login_attempts (device_key, attempted_at) WHERE device_key IS NOT NULL;

-- +goose Down
DROP INDEX login_attempts_device_idx;
ALTER TABLE login_attempts DROP COLUMN device_key;
DROP TABLE rate_limit_hits;
DROP TABLE sign_in_mail_slots;
DROP TABLE email_verifications;
ALTER TABLE users DROP COLUMN email_verified_at;
