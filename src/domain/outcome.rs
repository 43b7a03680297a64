//! How a call ended (`active_calls.outcome`) and which path settled it (`processed_by`). A new
//! kind of ending is a new variant here; the SQL stores `as_str()`.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The text went to Twilio (`sms_sid` holds its MessageSid).
    Texted,
    /// Someone picked up the forward: no text.
    Answered,
    /// The text could not be sent and never will be (21610 …, or the number was deleted).
    Failed,
    /// Twilio does not know the call (404/20404, or 403/20008 with test credentials).
    NotFound,
    /// Older than `MAX_CALL_AGE_SECS` before anything settled it.
    Expired,
    /// A withheld or non-E.164 caller ID: nothing to text.
    NoCallerId,
    /// A retryable send failure: the poll sends again at `next_attempt_at`.
    Owed,
    /// Claimed for a text that is in flight (or whose run died: recovered after 5 minutes).
    Sending,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Texted,
        Outcome::Answered,
        Outcome::Failed,
        Outcome::NotFound,
        Outcome::Expired,
        Outcome::NoCallerId,
        Outcome::Owed,
        Outcome::Sending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Texted => "texted",
            Outcome::Answered => "answered",
            Outcome::Failed => "failed",
            Outcome::NotFound => "not_found",
            Outcome::Expired => "expired",
            Outcome::NoCallerId => "no_caller_id",
            Outcome::Owed => "owed",
            Outcome::Sending => "sending",
        }
    }

    pub fn parse(raw: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw)
    }

    /// Whether the call is settled for good (`processed`): nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Outcome::Owed | Outcome::Sending)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which path settled a call: the `<Dial action>` callback or the fallback poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessedBy {
    Callback,
    Poll,
}

impl ProcessedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessedBy::Callback => "callback",
            ProcessedBy::Poll => "poll",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_through_their_stored_names() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("TEXTED"), None);
        assert!(Outcome::Texted.is_final() && Outcome::Expired.is_final());
        assert!(!Outcome::Owed.is_final() && !Outcome::Sending.is_final());
    }
}
