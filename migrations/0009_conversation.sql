-- The text starts a conversation (issue: conversation).
--   business_numbers.notify_to   where leads' replies go, when not to forward_to; the owner answers
--                                from either phone
--   opt_outs                     callers who texted STOP (or whom Twilio refused with 21610) to a
--                                business number: never sent a missed-call text from it; START lifts it
--   conversation_messages        replies from leads and the owner's answers relayed to them; the
--                                inbound MessageSid is unique, so a webhook Twilio repeats is relayed once
ALTER TABLE business_numbers ADD COLUMN notify_to text;

CREATE TABLE opt_outs (
    twilio_number text NOT NULL,
    caller        text NOT NULL,
    source        text NOT NULL CHECK (source IN ('keyword', 'twilio_21610')),
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (twilio_number, caller)
);

CREATE TABLE conversation_messages (
    id            bigserial PRIMARY KEY,
    twilio_number text NOT NULL,
    lead          text NOT NULL,
    direction     text NOT NULL CHECK (direction IN ('from_lead', 'to_lead')),
    body          text NOT NULL,
    media_url     text,
    message_sid   text NOT NULL UNIQUE,
    -- The lead's most recent call to the number, when there was one.
    call_sid      text,
    received_at   timestamptz NOT NULL DEFAULT now(),
    relay_sid     text,
    relay_error   text
);

-- The owner's answer goes to the lead who most recently wrote.
CREATE INDEX conversation_messages_latest_lead
    ON conversation_messages (twilio_number, received_at DESC)
    WHERE direction = 'from_lead';

-- A lead's reply is recorded against their most recent call to the number.
CREATE INDEX active_calls_caller ON active_calls (to_number, from_number, received_at DESC);
