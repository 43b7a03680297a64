-- The fallback poll: a lease so overlapping runs never work on one call at once, and a backoff for
-- calls whose Twilio lookup failed in a way worth retrying.
ALTER TABLE active_calls
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN lookup_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_lookup_at  timestamptz;

-- The weekly cleanup deletes processed calls by age.
CREATE INDEX active_calls_processed_at
    ON active_calls (processed_at)
    WHERE processed;
