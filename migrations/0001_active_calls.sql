-- One row per inbound call the worker has seen (Phase 1) or had to text without having seen it.
CREATE TABLE active_calls (
    call_sid     text PRIMARY KEY,
    from_number  text NOT NULL,
    to_number    text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed    boolean NOT NULL DEFAULT false,
    processed_at timestamptz
);

-- The poller's question is "unprocessed calls, oldest first"; processed rows pile up and are never
-- asked for, so they stay out of the index.
CREATE INDEX active_calls_unprocessed_received_at
    ON active_calls (received_at)
    WHERE NOT processed;
