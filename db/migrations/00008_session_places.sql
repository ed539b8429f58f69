-- +goose Up
-- Where a session is, approximately (geo/, DB-IP City Lite): looked up once at sign-in and
-- again when the session is seen from a new address, in the throttled last-seen touch.
-- city/region/country_code are the sign-in address's place (ip never changes after sign-in);
-- last_ip and last_* are the latest address's ('' last_ip: still the sign-in one, so old
-- rows need no rewrite). Coordinates are never stored.
ALTER TABLE sessions
    ADD COLUMN city              text NOT NULL DEFAULT '',
    ADD COLUMN region            text NOT NULL DEFAULT '',
    ADD COLUMN country_code      text NOT NULL DEFAULT '',
    ADD COLUMN last_ip           text NOT NULL DEFAULT '',
    ADD COLUMN last_city         text NOT NULL DEFAULT '',
    ADD COLUMN last_region       text NOT NULL DEFAULT '',
    ADD COLUMN last_country_code text NOT NULL DEFAULT '';

-- The countries an account has signed in from, so that a sign-in from a new one is called
-- out ("the first from Nigeria"). An account with none yet (older than this table) gets no
-- call-out for its first: every country would be "new".
CREATE TABLE known_countries (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    country_code  text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, country_code)
);

-- A notice about a sign-in from a new country says so.
ALTER TABLE notices ADD COLUMN new_country boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE notices DROP COLUMN new_country;
DROP TABLE known_countries;
ALTER TABLE sessions
    DROP COLUMN city, DROP COLUMN region, DROP COLUMN country_code, DROP COLUMN last_ip,
    DROP COLUMN last_city, DROP COLUMN last_region, DROP COLUMN last_country_code;
