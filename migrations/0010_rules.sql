-- Who gets a text and when (issue: who and when). Every rule is a setting of the business number;
-- every call it stops is settled with an outcome naming the rule.
--   business_numbers.cooldown_hours        a caller texted by the number within this is not texted
--                                          again (0: off)
--   business_numbers.blocked_callers       never texted
--   business_numbers.allowed_calling_codes country calling codes whose callers may be texted (NULL:
--                                          the business number's own)
--   business_numbers.daily_text_limit      texts per number per local day
--   business_numbers.skip_landlines        ask Twilio Lookup for the line type, skip landlines
--   business_numbers.timezone, business_hours (JSON), after_hours_template, quiet_hours,
--   quiet_hours_action                     when, and with which words
--   business_numbers.voicemail, voicemail_greeting, notify_owner
--   caller_cooldowns     one row per (number, caller): the call whose text holds the cooldown. Taken
--                        by INSERT … ON CONFLICT DO UPDATE … WHERE, so concurrent calls from one caller
--                        serialise on it and one of them wins
--   daily_text_counts    texts per number per local day: incremented only below the limit
--   line_types           Lookup's answers, kept 180 days
--   active_calls.sms_body        the text as it was about to be sent (the poll compares it when it
--                                looks for a text in doubt at Twilio)
--   active_calls.text_reserved   the call has counted against the cooldown and the daily limit
--   active_calls.deferred        the text waits for quiet hours to end (outcome 'owed')
--   active_calls.recording_*     the caller's voicemail
--   active_calls.owner_notified_at, voicemail_notified_at   the owner's heads-up, once each
ALTER TABLE business_numbers
    ADD COLUMN cooldown_hours        integer NOT NULL DEFAULT 12 CHECK (cooldown_hours BETWEEN 0 AND 168),
    ADD COLUMN blocked_callers       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN allowed_calling_codes text[],
    ADD COLUMN daily_text_limit      integer NOT NULL DEFAULT 200 CHECK (daily_text_limit >= 0),
    ADD COLUMN skip_landlines        boolean NOT NULL DEFAULT false,
    ADD COLUMN timezone              text NOT NULL DEFAULT 'UTC',
    ADD COLUMN business_hours        text,
    ADD COLUMN after_hours_template  text,
    ADD COLUMN quiet_hours           text,
    ADD COLUMN quiet_hours_action    text NOT NULL DEFAULT 'defer'
        CHECK (quiet_hours_action IN ('defer', 'skip')),
    ADD COLUMN voicemail             boolean NOT NULL DEFAULT false,
    ADD COLUMN voicemail_greeting    text,
    ADD COLUMN notify_owner          boolean NOT NULL DEFAULT false;

CREATE TABLE caller_cooldowns (
    twilio_number text NOT NULL,
    caller        text NOT NULL,
    call_sid      text NOT NULL,
    texted_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (twilio_number, caller)
);

CREATE TABLE daily_text_counts (
    twilio_number text NOT NULL,
    day           date NOT NULL,
    texts         integer NOT NULL,
    PRIMARY KEY (twilio_number, day)
);

CREATE TABLE line_types (
    phone         text PRIMARY KEY,
    line_type     text NOT NULL,
    looked_up_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE active_calls
    ADD COLUMN sms_body              text,
    ADD COLUMN text_reserved         boolean NOT NULL DEFAULT false,
    ADD COLUMN deferred              boolean NOT NULL DEFAULT false,
    ADD COLUMN recording_sid         text,
    ADD COLUMN recording_url         text,
    ADD COLUMN recording_duration    integer,
    ADD COLUMN owner_notified_at     timestamptz,
    ADD COLUMN voicemail_notified_at timestamptz;
