-- A claimed text stays unprocessed until its send is settled, so the poll can find a claim left in
-- 'sending' by a crash; sms_maybe_sent marks a failure after which the text may have gone anyway
-- (timeout, dropped connection, 5xx), to be looked up at Twilio before any resend.
ALTER TABLE active_calls ADD COLUMN sms_maybe_sent boolean NOT NULL DEFAULT false;

UPDATE active_calls SET processed = false, processed_at = NULL WHERE outcome = 'sending';

-- One call per Twilio message: a looked-up message is adopted by at most one call.
CREATE UNIQUE INDEX active_calls_sms_sid ON active_calls (sms_sid) WHERE sms_sid IS NOT NULL;
