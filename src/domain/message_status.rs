//! What Twilio says became of a text after it took it (`MessageStatus` of a status callback), and
//! what an `ErrorCode` on an undelivered text means for the business. Callbacks arrive out of order
//! and more than once, so a status only ever replaces one of a lower `rank`.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Read,
    Canceled,
    /// A status Twilio added after this was written: kept by its name and ranked as `sent`, so it
    /// never hides a final status and a final status still replaces it.
    Other(String),
}

/// The statuses in the order a text moves through them (a step's index is its rank); a later step
/// replaces an earlier one, never the other way round. The final ones share a step: the first to
/// arrive stands.
const STEPS: [&[&str]; 5] = [
    &["accepted", "scheduled"],
    &["queued", "sending"],
    &["sent"],
    &["delivered", "undelivered", "failed", "canceled"],
    &["read"],
];

const SENT_RANK: i16 = 2;

/// The statuses of a text that will not arrive, as stored.
pub const FAILURES: [&str; 2] = ["undelivered", "failed"];

impl MessageStatus {
    pub fn parse(raw: &str) -> Result<MessageStatus, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("MessageStatus is missing".to_string());
        }
        if !trimmed.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(format!("MessageStatus {trimmed:?} is not a Twilio status"));
        }
        Ok(match trimmed {
            "accepted" => MessageStatus::Accepted,
            "scheduled" => MessageStatus::Scheduled,
            "queued" => MessageStatus::Queued,
            "sending" => MessageStatus::Sending,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "undelivered" => MessageStatus::Undelivered,
            "failed" => MessageStatus::Failed,
            "read" => MessageStatus::Read,
            "canceled" => MessageStatus::Canceled,
            other => MessageStatus::Other(other.to_string()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageStatus::Accepted => "accepted",
            MessageStatus::Scheduled => "scheduled",
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Undelivered => "undelivered",
            MessageStatus::Failed => "failed",
            MessageStatus::Read => "read",
            MessageStatus::Canceled => "canceled",
            MessageStatus::Other(name) => name,
        }
    }

    /// Its place in a text's life: a status replaces only one of a lower rank, so a repeat, or a
    /// status that arrives after a later one, changes nothing.
    pub fn rank(&self) -> i16 {
        let name = match self {
            MessageStatus::Other(_) => "sent",
            known => known.as_str(),
        };
        let step = STEPS.iter().position(|step| step.contains(&name));
        step.map_or(SENT_RANK, |index| index as i16)
    }

    /// The carrier confirmed delivery (`read` comes after it, on channels that report reads).
    pub fn is_delivered(&self) -> bool {
        matches!(self, MessageStatus::Delivered | MessageStatus::Read)
    }

    /// The text will not arrive: what the delivery alert counts.
    pub fn is_failure(&self) -> bool {
        FAILURES.contains(&self.as_str())
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook's `MessageSid`: SM (a text) or MM (a picture message) and 32 hex digits.
pub fn message_sid_param(raw: Option<&str>) -> Result<String, String> {
    let sid = raw.unwrap_or_default().trim();
    let well_formed = sid.len() == 34
        && (sid.starts_with("SM") || sid.starts_with("MM"))
        && sid.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    if well_formed {
        Ok(sid.to_string())
    } else {
        Err(format!(
            "MessageSid {sid:?} is not SM or MM followed by 32 hex digits"
        ))
    }
}

/// A message status callback, read once: which text, its new status, and Twilio's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub message_sid: String,
    pub status: MessageStatus,
    pub error_code: Option<i32>,
}

impl StatusReport {
    /// From the callback's `MessageSid`, `MessageStatus` and `ErrorCode` (absent when there is no
    /// error; Twilio's codes are five digits).
    pub fn read(
        message_sid: Option<&str>,
        status: Option<&str>,
        error_code: Option<&str>,
    ) -> Result<StatusReport, String> {
        let message_sid = message_sid_param(message_sid)?;
        let status = MessageStatus::parse(status.unwrap_or_default())?;
        let error_code = match error_code.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => Some(
                raw.parse::<i32>()
                    .ok()
                    .filter(|code| (0..1_000_000).contains(code))
                    .ok_or_else(|| format!("ErrorCode {raw:?} is not a Twilio error code"))?,
            ),
        };
        Ok(StatusReport {
            message_sid,
            status,
            error_code,
        })
    }

    /// What the operator reads about an undelivered text: the code and whose problem it is.
    pub fn problem(&self) -> Option<String> {
        let code = self.error_code?;
        Some(format!(
            "error {code}: {}",
            DeliveryProblem::of(code).explain()
        ))
    }
}

/// Why a text was not delivered, as far as the business can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryProblem {
    /// 30003 unreachable, 30005 unknown number, 30006 landline: this caller will never get texts.
    Unreachable,
    /// 30007 carrier filtering, 30034 unregistered 10DLC: the business's A2P registration, not
    /// the caller; every text of the number is at risk until it is fixed.
    CarrierFiltered,
    Other,
}

impl DeliveryProblem {
    /// Twilio's error codes of an unreachable handset (the statistics count them in SQL too).
    pub const UNREACHABLE: [i32; 3] = [30003, 30005, 30006];
    /// Twilio's error codes of carrier filtering and unregistered 10DLC traffic.
    pub const CARRIER_FILTERED: [i32; 2] = [30007, 30034];

    pub fn of(error_code: i32) -> DeliveryProblem {
        if Self::UNREACHABLE.contains(&error_code) {
            DeliveryProblem::Unreachable
        } else if Self::CARRIER_FILTERED.contains(&error_code) {
            DeliveryProblem::CarrierFiltered
        } else {
            DeliveryProblem::Other
        }
    }

    /// What the operator reads in the log beside the code.
    pub fn explain(self) -> &'static str {
        match self {
            DeliveryProblem::Unreachable => {
                "the caller's phone cannot take texts (unreachable, unknown or a landline)"
            }
            DeliveryProblem::CarrierFiltered => {
                "carriers filtered it: register the number for A2P 10DLC (a registration problem of the business, not of the caller)"
            }
            DeliveryProblem::Other => "see Twilio's error code reference",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(raw: &str) -> MessageStatus {
        MessageStatus::parse(raw).unwrap()
    }

    #[test]
    fn parses_twilios_statuses_and_keeps_their_names() {
        for name in [
            "accepted",
            "scheduled",
            "queued",
            "sending",
            "sent",
            "delivered",
            "undelivered",
            "failed",
            "read",
            "canceled",
            "partially_delivered",
        ] {
            assert_eq!(status(name).as_str(), name);
        }
        assert_eq!(
            status("partially_delivered"),
            MessageStatus::Other("partially_delivered".into())
        );
        assert_eq!(status(" sent "), MessageStatus::Sent);
        for bad in ["", "  ", "Delivered", "sent;drop"] {
            assert!(MessageStatus::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_status_never_moves_backwards() {
        let order = ["accepted", "queued", "sent", "delivered", "read"];
        let ranks: Vec<i16> = order.iter().map(|s| status(s).rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        assert_eq!(status("scheduled").rank(), status("accepted").rank());
        assert_eq!(status("sending").rank(), status("queued").rank());
        // The final statuses share a rank: the first to arrive stands.
        for last in ["undelivered", "failed", "canceled"] {
            assert_eq!(status(last).rank(), status("delivered").rank(), "{last}");
        }
        // A status we do not know ranks as `sent`: it never hides a final one, and a final one
        // replaces it.
        assert_eq!(status("partially_delivered").rank(), status("sent").rank());
        assert!(status("delivered").rank() > status("partially_delivered").rank());
        assert!(status("read").is_delivered() && status("delivered").is_delivered());
        assert!(!status("sent").is_delivered());
    }

    #[test]
    fn failures_are_undelivered_and_failed() {
        let failures: Vec<&str> = STEPS
            .concat()
            .into_iter()
            .filter(|s| status(s).is_failure())
            .collect();
        assert_eq!(failures, ["undelivered", "failed"]);
    }

    const SID: &str = "SM0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_a_status_callback() {
        let report = StatusReport::read(Some(SID), Some("undelivered"), Some("30007")).unwrap();
        assert_eq!(report.message_sid, SID);
        assert_eq!(report.status, MessageStatus::Undelivered);
        assert_eq!(report.error_code, Some(30007));
        assert!(report
            .problem()
            .unwrap()
            .starts_with("error 30007: carriers filtered"));
        let delivered = StatusReport::read(Some(SID), Some("delivered"), Some("")).unwrap();
        assert_eq!((delivered.error_code, delivered.problem()), (None, None));
        let mms = SID.replacen("SM", "MM", 1);
        assert!(StatusReport::read(Some(&mms), Some("sent"), None).is_ok());
    }

    #[test]
    fn a_malformed_callback_says_which_field() {
        let cases = [
            (None, Some("sent"), None, "MessageSid"),
            (
                Some("CA0123456789abcdef0123456789abcdef"),
                Some("sent"),
                None,
                "MessageSid",
            ),
            (Some("SM123"), Some("sent"), None, "MessageSid"),
            (Some(SID), None, None, "MessageStatus"),
            (Some(SID), Some("SENT"), None, "MessageStatus"),
            (Some(SID), Some("failed"), Some("abc"), "ErrorCode"),
            (Some(SID), Some("failed"), Some("-1"), "ErrorCode"),
        ];
        for (sid, status, code, field) in cases {
            let error = StatusReport::read(sid, status, code).unwrap_err();
            assert!(error.contains(field), "{error} should name {field}");
        }
    }

    #[test]
    fn error_codes_say_whose_problem_it_is() {
        for code in [30003, 30005, 30006] {
            assert_eq!(DeliveryProblem::of(code), DeliveryProblem::Unreachable);
        }
        for code in [30007, 30034] {
            assert_eq!(DeliveryProblem::of(code), DeliveryProblem::CarrierFiltered);
        }
        assert_eq!(DeliveryProblem::of(30008), DeliveryProblem::Other);
        assert!(DeliveryProblem::CarrierFiltered.explain().contains("10DLC"));
    }
}
