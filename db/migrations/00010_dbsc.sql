-- +goose Up
-- Device Bound Session Credentials: the public key (a JWK) the browser bound the session
-- to. NULL is an ordinary session. Writing it moves security_rev (00005's update trigger),
-- so cached lists and pages show the shield at once.
ALTER TABLE sessions ADD COLUMN dbsc_key text;
-- What every session query reads (the key itself only at refresh): a plain column, so the
-- shared column list works in RETURNING and in selects from a CTE alike.
ALTER TABLE sessions ADD COLUMN device_bound boolean GENERATED ALWAYS AS (dbsc_key IS NOT NULL) STORED;

-- Challenges we issued to a session, each good for one proof. A proof is accepted only by
-- deleting its row (DELETE ... RETURNING), so two requests with one proof cannot both win.
CREATE TABLE dbsc_challenges (
    challenge  text PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dbsc_challenges_session_idx ON dbsc_challenges (session_id);

-- +goose Down
DROP TABLE dbsc_challenges;
ALTER TABLE sessions DROP COLUMN device_bound;
ALTER TABLE sessions DROP COLUMN dbsc_key;
