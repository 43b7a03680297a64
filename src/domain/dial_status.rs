//! What the forward (`<Dial>`) did, as Twilio's `DialCallStatus` names it, parsed once. The poll
//! reads the same words from the child leg's call status.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialStatus {
    Completed,
    Answered,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
    /// The poll's inference when there is no child leg and the caller's call is over: the caller
    /// hung up before the forward rang, a missed lead too. Never parsed from a webhook.
    HungUpBeforeDial,
    /// A word Twilio may add later: neither missed nor answered, so the poll decides.
    Other(String),
}

impl DialStatus {
    pub fn parse(raw: &str) -> DialStatus {
        match raw {
            "completed" => DialStatus::Completed,
            "answered" => DialStatus::Answered,
            "busy" => DialStatus::Busy,
            "no-answer" => DialStatus::NoAnswer,
            "failed" => DialStatus::Failed,
            "canceled" => DialStatus::Canceled,
            other => DialStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DialStatus::Completed => "completed",
            DialStatus::Answered => "answered",
            DialStatus::Busy => "busy",
            DialStatus::NoAnswer => "no-answer",
            DialStatus::Failed => "failed",
            DialStatus::Canceled => "canceled",
            DialStatus::HungUpBeforeDial => "hung-up-before-dial",
            DialStatus::Other(raw) => raw,
        }
    }

    /// Nobody picked up the forward: the caller is owed a text.
    pub fn is_missed(&self) -> bool {
        matches!(
            self,
            DialStatus::Busy
                | DialStatus::NoAnswer
                | DialStatus::Failed
                | DialStatus::Canceled
                | DialStatus::HungUpBeforeDial
        )
    }

    pub fn is_answered(&self) -> bool {
        matches!(self, DialStatus::Completed | DialStatus::Answered)
    }
}

impl fmt::Display for DialStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_answered_or_unknown() {
        assert!(DialStatus::HungUpBeforeDial.is_missed());
        assert_eq!(DialStatus::HungUpBeforeDial.as_str(), "hung-up-before-dial");
        assert_eq!(
            DialStatus::parse("hung-up-before-dial"),
            DialStatus::Other("hung-up-before-dial".into()),
            "only the poll infers it; a webhook saying so is left to the poll"
        );
        for missed in ["no-answer", "busy", "failed", "canceled"] {
            let status = DialStatus::parse(missed);
            assert!(status.is_missed(), "{missed}");
            assert!(!status.is_answered(), "{missed}");
            assert_eq!(status.as_str(), missed);
        }
        for answered in ["completed", "answered"] {
            let status = DialStatus::parse(answered);
            assert!(status.is_answered() && !status.is_missed(), "{answered}");
            assert_eq!(status.as_str(), answered);
        }
        for unknown in ["", "ringing", "NO-ANSWER", "in-progress"] {
            let status = DialStatus::parse(unknown);
            assert_eq!(status, DialStatus::Other(unknown.to_string()));
            assert!(!status.is_missed() && !status.is_answered(), "{unknown:?}");
        }
    }
}
