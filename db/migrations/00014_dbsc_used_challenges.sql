-- +goose Up
-- DBSC challenges are no longer stored when issued: each is signed (an HMAC over the
-- session, its purpose and its expiry, with the bound-cookie key every instance shares), so
-- issuing one costs no write and a copy of the session cookie can ask for as many as it
-- likes without filling anything. What must be stored is their use: a challenge is good for
-- one proof, and a proof is accepted only by inserting its challenge here (INSERT ... ON
-- CONFLICT DO NOTHING RETURNING), so two requests with one proof cannot both win. Rows die
-- with their session, and a session's expired ones are dropped as it uses new ones.
-- dbsc_challenges (00010) stays for instances of the previous version during a rollout.
CREATE TABLE dbsc_used_challenges (
    challenge  text PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dbsc_used_challenges_session_idx ON dbsc_used_challenges (session_id);

-- +goose Down
DROP TABLE dbsc_used_challenges;
