//! What Twilio's Calls API says about a call's forward, as a plain function of the records it
//! returned and of whether the forward was screened. The inbound call's own status is `completed`
//! whether or not anyone answered, so the `outbound-dial` child legs decide; the parent only when
//! there is no leg.
//!
//! An unscreened leg that is `in-progress` or `completed` was answered: asking again later can only
//! say the same, so the call settles at its first lookup. A screened leg proves nothing by being
//! answered (carrier voicemail answers too): only a recorded acceptance counts, and the poll settles
//! an accepted call without asking Twilio at all. A screened leg still `in-progress` without an
//! acceptance is undecided (the prompt may be playing, or a voicemail recording); once `completed`
//! without one, the call was missed.
use crate::domain::DialStatus;
use crate::twilio::rest;

/// What Twilio says about a call's forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Missed {
        status: DialStatus,
    },
    Answered,
    /// Nobody has picked up yet (or, screened, nobody has accepted yet): ask again after a backoff.
    Undecided,
}

/// Reads the verdict from the `outbound-dial` child legs of a call whose forward was `screened`
/// (and not accepted); `None` means there is no child leg and the parent call decides.
pub fn verdict_from_children(children: &[rest::Call], screened: bool) -> Option<Verdict> {
    let legs: Vec<&str> = children
        .iter()
        .filter(|c| c.direction.as_deref().is_none_or(|d| d == "outbound-dial"))
        .map(|c| c.status.as_str())
        .collect();
    let any = |statuses: &[&str]| legs.iter().any(|s| statuses.contains(s));
    if legs.is_empty() {
        return None;
    }
    if !screened && any(&["completed", "in-progress"]) {
        return Some(Verdict::Answered);
    }
    if any(&["queued", "initiated", "ringing", "in-progress"]) {
        return Some(Verdict::Undecided);
    }
    if any(&["completed"]) {
        return Some(Verdict::Missed {
            status: DialStatus::Completed,
        });
    }
    Some(Verdict::Missed {
        status: DialStatus::parse(legs[0]),
    })
}

/// No child leg: a parent still live may yet dial; a parent that is over hung up before the
/// forward rang, which is a missed lead too.
pub fn verdict_from_parent(parent: &rest::Call) -> Verdict {
    match parent.status.as_str() {
        "queued" | "initiated" | "ringing" | "in-progress" => Verdict::Undecided,
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
            from: None,
            to: None,
            start_time: None,
        }
    }

    fn missed(status: &str) -> Option<Verdict> {
        Some(Verdict::Missed {
            status: DialStatus::parse(status),
        })
    }

    #[test]
    fn child_legs_decide() {
        assert_eq!(verdict_from_children(&[], false), None);
        for status in ["no-answer", "busy", "failed", "canceled"] {
            assert_eq!(verdict_from_children(&[leg(status)], false), missed(status));
            assert_eq!(verdict_from_children(&[leg(status)], true), missed(status));
        }
        for status in ["queued", "initiated", "ringing"] {
            for screened in [false, true] {
                assert_eq!(
                    verdict_from_children(&[leg(status)], screened),
                    Some(Verdict::Undecided)
                );
            }
        }
        assert_eq!(
            verdict_from_children(&[leg("busy"), leg("completed")], false),
            Some(Verdict::Answered)
        );
    }

    #[test]
    fn an_unscreened_forward_in_progress_was_answered() {
        assert_eq!(
            verdict_from_children(&[leg("in-progress")], false),
            Some(Verdict::Answered)
        );
        assert_eq!(
            verdict_from_children(&[leg("completed")], false),
            Some(Verdict::Answered)
        );
    }

    #[test]
    fn a_screened_forward_nobody_accepted_is_undecided_then_missed() {
        assert_eq!(
            verdict_from_children(&[leg("in-progress")], true),
            Some(Verdict::Undecided)
        );
        assert_eq!(
            verdict_from_children(&[leg("completed")], true),
            missed("completed")
        );
        assert_eq!(
            verdict_from_children(&[leg("completed"), leg("ringing")], true),
            Some(Verdict::Undecided)
        );
    }

    #[test]
    fn the_parent_decides_without_a_child_leg() {
        let parent = |status: &str| rest::Call {
            sid: "CA1".into(),
            parent_call_sid: None,
            status: status.into(),
            direction: Some("inbound".into()),
            from: None,
            to: None,
            start_time: None,
        };
        assert_eq!(
            verdict_from_parent(&parent("in-progress")),
            Verdict::Undecided
        );
        assert_eq!(verdict_from_parent(&parent("ringing")), Verdict::Undecided);
        assert_eq!(
            verdict_from_parent(&parent("completed")),
            Verdict::Missed {
                status: DialStatus::HungUpBeforeDial
            }
        );
    }
}
