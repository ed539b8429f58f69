-- +goose Up
-- Why a session's row on the security page is flagged (issue 27), worked out once at its
-- sign-in: a set of bits (db.Risk*). The page shows them for 14 days after the sign-in;
-- "This was me" sets them to 0 for good.
ALTER TABLE sessions ADD COLUMN risk smallint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN risk;
