-- What happened to each call, and the state of the text it may be owed.
--   outcome NULL       undecided: waiting for the Dial callback or the poll
--   outcome 'sending'  claimed; the SMS request is in flight (a row stuck here means a crash)
--   outcome 'owed'     a send failed in a way worth retrying at next_attempt_at (processed = false)
--   final outcomes     texted, answered, failed, not_found, expired (processed = true)
ALTER TABLE active_calls
    ADD COLUMN outcome           text,
    ADD COLUMN processed_by      text CHECK (processed_by IN ('callback', 'poll')),
    ADD COLUMN dial_call_status  text,
    ADD COLUMN dial_timeout_secs integer NOT NULL DEFAULT 20,
    ADD COLUMN claimed_at        timestamptz,
    ADD COLUMN sms_attempts      integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at   timestamptz,
    ADD COLUMN sms_sid           text,
    ADD COLUMN sms_sent_at       timestamptz,
    ADD COLUMN sms_error         text;
