-- +goose Up
-- Every session of a user, live or ended: the "recently ended" list and the user foreign key
-- (ON DELETE CASCADE) read by user_id over all rows, which the partial index of live
-- sessions cannot serve. Without it both scan the whole table (a million rows: seconds).
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- +goose Down
DROP INDEX sessions_user_idx;
