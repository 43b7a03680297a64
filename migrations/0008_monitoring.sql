-- Monitoring (issue: monitoring): what became of each text after Twilio took it, how often the
-- claim stopped a second text, and the poll's heartbeat.
--   active_calls.sms_status        the text's latest status from its status callback (queued, sent,
--                                  delivered, undelivered, failed …); never moves backwards
--   active_calls.sms_error_code    the callback's ErrorCode (30003 unreachable, 30007 filtered …)
--   active_calls.sms_status_rank   its place in a text's life (accepted 0 … read 4): a status only
--                                  replaces one of a lower rank
--   active_calls.sms_status_at     when that status arrived
--   active_calls.sms_delivered_at  when the carrier confirmed delivery
--   active_calls.dedup_prevented   claims lost after the call's text was already claimed: the
--                                  design document's "duplicate SMS prevented"
--   early_message_statuses         statuses that arrived before their text's MessageSid was stored
--                                  (a quick callback, or a text the poll adopts later): folded into
--                                  the call when the SID is recorded
--   poll_runs                      one row per poll run (cron or endpoint): the cron's heartbeat
--   poll_state                     also holds when each kind of alert was last sent ('alert:…'),
--                                  and since when the cron is watched ('monitoring_since'), so a
--                                  deployment's old calls do not sound the alarm before its first run
ALTER TABLE active_calls
    ADD COLUMN sms_status       text,
    ADD COLUMN sms_status_rank  smallint,
    ADD COLUMN sms_error_code   integer,
    ADD COLUMN sms_status_at    timestamptz,
    ADD COLUMN sms_delivered_at timestamptz,
    ADD COLUMN dedup_prevented  integer NOT NULL DEFAULT 0;

-- The statistics and the dashboard ask for the calls of the last N days.
CREATE INDEX active_calls_received_at ON active_calls (received_at);

CREATE TABLE early_message_statuses (
    message_sid     text PRIMARY KEY,
    sms_status      text NOT NULL,
    sms_status_rank smallint NOT NULL,
    sms_error_code  integer,
    delivered       boolean NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO poll_state (job, last_run_at) VALUES ('monitoring_since', now())
ON CONFLICT (job) DO NOTHING;

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
