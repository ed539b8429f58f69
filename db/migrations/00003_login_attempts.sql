-- +goose Up
-- Sign-in attempts not (yet) known to have succeeded, for the per-IP and per-account
-- limits. Kept in PostgreSQL so every app instance counts the same attempts. The account
-- is a SHA-256 of the lower-cased email: typed emails (sometimes a password typed in the
-- wrong field) are not kept. Rows older than the window are deleted as new ones arrive.
CREATE TABLE login_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ip           text NOT NULL,
    account_key  bytea NOT NULL,
    attempted_at timestamptz NOT NULL,
    succeeded    boolean NOT NULL DEFAULT false
);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at);
CREATE INDEX login_attempts_account_idx ON login_attempts (account_key, attempted_at);
CREATE INDEX login_attempts_attempted_at_idx ON login_attempts (attempted_at);

-- +goose Down
DROP TABLE login_attempts;
