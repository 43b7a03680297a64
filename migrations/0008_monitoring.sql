-- Monitoring (issue: monitoring): what became of each text after Twilio took it, how often the
-- claim stopped a second text, and the poll's heartbeat.
--   active_calls.sms_status        the text's latest status from its status callback (queued, sent,
--                                  delivered, undelivered, failed …); never moves backwards
--   active_calls.sms_error_code    the callback's ErrorCode (30003 unreachable, 30007 filtered …)
--   active_calls.sms_status_at     when that status arrived
--   active_calls.sms_delivered_at  when the carrier confirmed delivery
--   active_calls.dedup_prevented   claims lost after the call's text was already claimed: the
--                                  design document's "duplicate SMS prevented"
--   poll_runs                      one row per poll run (cron or endpoint): the cron's heartbeat
--   poll_state                     also holds when each kind of alert was last sent ('alert:…')
ALTER TABLE active_calls
    ADD COLUMN sms_status       text,
    ADD COLUMN sms_error_code   integer,
    ADD COLUMN sms_status_at    timestamptz,
    ADD COLUMN sms_delivered_at timestamptz,
    ADD COLUMN dedup_prevented  integer NOT NULL DEFAULT 0;

-- The statistics and the dashboard ask for the calls of the last N days.
CREATE INDEX active_calls_received_at ON active_calls (received_at);

CREATE TABLE poll_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    trigger     text NOT NULL CHECK (trigger IN ('cron', 'endpoint')),
    summary     jsonb,
    error       text
);

-- The heartbeat is the newest finished run; uptime counts the minutes with one.
CREATE INDEX poll_runs_finished_at ON poll_runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX poll_runs_started_at ON poll_runs (started_at);
