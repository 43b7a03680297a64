-- One row per published Twilio number: where to forward calls and what to text when nobody answers.
CREATE TABLE business_numbers (
    twilio_number     text PRIMARY KEY,
    forward_to        text NOT NULL,
    business_name     text NOT NULL,
    sms_template      text NOT NULL,
    -- Below the ~25 s after which carrier voicemail answers and the call looks "completed".
    dial_timeout_secs integer NOT NULL DEFAULT 20 CHECK (dial_timeout_secs BETWEEN 5 AND 600),
    enabled           boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
