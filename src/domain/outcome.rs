//! How a call ended (`active_calls.outcome`) and which path settled it (`processed_by`). A new
//! kind of ending is a new variant here; `as_str()` is the name the statements in `store/` write.
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
    /// The caller is one of the business's own phones (a configured Twilio number or a number
    /// calls are forwarded to): never texted.
    OwnNumber,
    /// The caller texted STOP to the business number (or Twilio refused a text to them with
    /// 21610): never texted from it until they text START.
    OptedOut,
    /// The caller was texted by this number within its cooldown: not texted again.
    Cooldown,
    /// The caller is on the number's blocked list.
    Blocked,
    /// The caller's country calling code is not one the number texts (the SMS-pumping guard).
    CountryNotAllowed,
    /// The number reached its daily text limit.
    DailyLimit,
    /// Twilio Lookup says the caller's line is a landline.
    Landline,
    /// The call came in quiet hours and the number skips those texts (or deferring would send it
    /// more than 16 hours after the call).
    QuietHours,
    /// A retryable send failure, or a text waiting for quiet hours to end: the poll sends it at
    /// `next_attempt_at`.
    Owed,
    /// Claimed for a text that is in flight (or whose run died: recovered after 5 minutes).
    Sending,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Texted => "texted",
            Outcome::Answered => "answered",
            Outcome::Failed => "failed",
            Outcome::NotFound => "not_found",
            Outcome::Expired => "expired",
            Outcome::NoCallerId => "no_caller_id",
            Outcome::OwnNumber => "own_number",
            Outcome::OptedOut => "opted_out",
            Outcome::Cooldown => "cooldown",
            Outcome::Blocked => "blocked",
            Outcome::CountryNotAllowed => "country_not_allowed",
            Outcome::DailyLimit => "daily_limit",
            Outcome::Landline => "landline",
            Outcome::QuietHours => "quiet_hours",
            Outcome::Owed => "owed",
            Outcome::Sending => "sending",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which path settled a call: the `<Dial action>` callback, the forward's status callback, or the
/// fallback poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessedBy {
    Callback,
    StatusCallback,
    Poll,
}

impl ProcessedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessedBy::Callback => "callback",
            ProcessedBy::StatusCallback => "status_callback",
            ProcessedBy::Poll => "poll",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_have_the_stored_names() {
        let names = [
            (Outcome::Texted, "texted"),
            (Outcome::Answered, "answered"),
            (Outcome::Failed, "failed"),
            (Outcome::NotFound, "not_found"),
            (Outcome::Expired, "expired"),
            (Outcome::NoCallerId, "no_caller_id"),
            (Outcome::OwnNumber, "own_number"),
            (Outcome::OptedOut, "opted_out"),
            (Outcome::Cooldown, "cooldown"),
            (Outcome::Blocked, "blocked"),
            (Outcome::CountryNotAllowed, "country_not_allowed"),
            (Outcome::DailyLimit, "daily_limit"),
            (Outcome::Landline, "landline"),
            (Outcome::QuietHours, "quiet_hours"),
            (Outcome::Owed, "owed"),
            (Outcome::Sending, "sending"),
        ];
        for (outcome, name) in names {
            assert_eq!(outcome.as_str(), name);
            assert_eq!(outcome.to_string(), name);
        }
        // The statements that write outcomes as SQL literals use the same names.
        let sql = include_str!("../store/calls.rs");
        for name in [
            "texted",
            "owed",
            "sending",
            "failed",
            "own_number",
            "opted_out",
            "cooldown",
            "daily_limit",
        ] {
            assert!(sql.contains(&format!("'{name}'")), "{name}");
        }
    }
}
