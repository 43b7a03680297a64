-- What really happened on the line (issue: field truth).
--   business_numbers.screen_calls  the forward asks whoever picks up to press a key, so carrier
--                                  voicemail or a declined call is not taken for an answer
--   active_calls.screened          this call's forward was screened (its completion alone proves nothing)
--   active_calls.accepted_at       a person pressed a key on the screened forward
--   active_calls.answered_at       Twilio's status callback said the forward was answered
--   poll_state                     when a periodic part of the poll (reconciliation) last ran
ALTER TABLE business_numbers ADD COLUMN screen_calls boolean NOT NULL DEFAULT false;

ALTER TABLE active_calls
    ADD COLUMN screened    boolean NOT NULL DEFAULT false,
    ADD COLUMN accepted_at timestamptz,
    ADD COLUMN answered_at timestamptz;

ALTER TABLE active_calls DROP CONSTRAINT IF EXISTS active_calls_processed_by_check;
ALTER TABLE active_calls ADD CONSTRAINT active_calls_processed_by_check
    CHECK (processed_by IN ('callback', 'status_callback', 'poll'));

CREATE TABLE poll_state (
    job         text PRIMARY KEY,
    last_run_at timestamptz NOT NULL
);
