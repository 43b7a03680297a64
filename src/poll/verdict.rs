//! What Twilio's Calls API says about a call's forward, as a plain function of the records it
//! returned. The inbound call's own status is `completed` whether or not anyone answered, so the
//! `outbound-dial` child legs decide; the parent only when there is no leg.
use crate::domain::DialStatus;
use crate::twilio::rest;

/// What Twilio says about a call's forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Missed { status: DialStatus },
    Answered,
    InProgress,
}

/// Reads the verdict from the `outbound-dial` child legs; `None` means there is no child leg and
/// the parent call decides.
pub fn verdict_from_children(children: &[rest::Call]) -> Option<Verdict> {
    let legs: Vec<&str> = children
        .iter()
        .filter(|c| c.direction.as_deref().is_none_or(|d| d == "outbound-dial"))
        .map(|c| c.status.as_str())
        .collect();
    if legs.is_empty() {
        return None;
    }
    if legs.contains(&"completed") {
        return Some(Verdict::Answered);
    }
    if legs
        .iter()
        .any(|s| matches!(*s, "queued" | "ringing" | "in-progress"))
    {
        return Some(Verdict::InProgress);
    }
    Some(Verdict::Missed {
        status: DialStatus::parse(legs[0]),
    })
}

/// No child leg: a parent still live may yet dial; a parent that is over hung up before the
/// forward rang, which is a missed lead too.
pub fn verdict_from_parent(parent: &rest::Call) -> Verdict {
    match parent.status.as_str() {
        "queued" | "ringing" | "in-progress" => Verdict::InProgress,
        _ => Verdict::Missed {
            status: DialStatus::HungUpBeforeDial,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(status: &str) -> rest::Call {
        rest::Call {
            sid: "CA2".into(),
            parent_call_sid: Some("CA1".into()),
            status: status.into(),
            direction: Some("outbound-dial".into()),
        }
    }

    #[test]
    fn child_legs_decide() {
        assert_eq!(verdict_from_children(&[]), None);
        assert_eq!(
            verdict_from_children(&[leg("completed")]),
            Some(Verdict::Answered)
        );
        for status in ["no-answer", "busy", "failed", "canceled"] {
            assert_eq!(
                verdict_from_children(&[leg(status)]),
                Some(Verdict::Missed {
                    status: DialStatus::parse(status)
                })
            );
        }
        assert_eq!(
            verdict_from_children(&[leg("ringing")]),
            Some(Verdict::InProgress)
        );
        assert_eq!(
            verdict_from_children(&[leg("busy"), leg("completed")]),
            Some(Verdict::Answered)
        );
    }

    #[test]
    fn the_parent_decides_without_a_child_leg() {
        let parent = |status: &str| rest::Call {
            sid: "CA1".into(),
            parent_call_sid: None,
            status: status.into(),
            direction: Some("inbound".into()),
        };
        assert_eq!(
            verdict_from_parent(&parent("in-progress")),
            Verdict::InProgress
        );
        assert_eq!(verdict_from_parent(&parent("ringing")), Verdict::InProgress);
        assert_eq!(
            verdict_from_parent(&parent("completed")),
            Verdict::Missed {
                status: DialStatus::HungUpBeforeDial
            }
        );
    }
}
