-- +goose Up
-- Where an account has signed in from, as points, so that a sign-in more than 1,000 km
-- from every one of them is flagged "far from your usual places" (issue 27; the rule is
-- auth.FarFromUsualKm). One row per cell of a tenth of a degree (at most ~8 km from the
-- point DB-IP gives, a city's centre): the rule needs no finer, and it bounds the rows.
-- Read and written in the sign-in's transaction, which holds the account's row from its
-- start (LockCredential), so concurrent sign-ins see each other's places. An account with none yet (older than
-- this table) learns its first quietly.
CREATE TABLE known_places (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lat_tenths    smallint NOT NULL CHECK (lat_tenths BETWEEN -900 AND 900),
    lon_tenths    smallint NOT NULL CHECK (lon_tenths BETWEEN -1800 AND 1800),
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, lat_tenths, lon_tenths)
);

-- +goose Down
DROP TABLE known_places;
