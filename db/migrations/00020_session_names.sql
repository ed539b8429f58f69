-- +goose Up
-- A name the person gives a session ("Work laptop", issue 25); '' when none. Set only by its
-- owner, never touched by a refresh or a touch. (00020: the next free number after the
-- assigned 00013-00019; issue 25's own 00015 and 00016 were merged before this part.)
ALTER TABLE sessions ADD COLUMN name text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN name;
