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
use std::collections::HashMap;

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

/// The verdicts a list of the account's calls (`GET …/Calls.json`, parents and their legs) gives
/// for `due` calls (SID, screened), in order: the same reading as the call's own lookup (its legs,
/// else the parent), from one listing for many calls. None for a call whose parent the list does
/// not hold (older than the pages read, or unknown to Twilio), or whose parent is over with no
/// leg listed (the one reading a list cannot make sure of): that call is looked up on its own.
/// A list newest first holds a call's legs on the parent's page or before it, since legs start
/// after their parent.
pub fn verdicts_from_list(listed: &[rest::Call], due: &[(&str, bool)]) -> Vec<Option<Verdict>> {
    let mut parents = HashMap::new();
    let mut legs: HashMap<&str, Vec<rest::Call>> = HashMap::new();
    for call in listed {
        match call.parent_call_sid.as_deref() {
            Some(parent) => legs.entry(parent).or_default().push(call.clone()),
            None => {
                parents.insert(call.sid.as_str(), call);
            }
        }
    }
    due.iter()
        .map(|&(sid, screened)| {
            let parent = parents.get(sid)?;
            let children = legs.get(sid).map_or(&[][..], Vec::as_slice);
            match verdict_from_children(children, screened) {
                Some(verdict) => Some(verdict),
                None => match verdict_from_parent(parent) {
                    Verdict::Undecided => Some(Verdict::Undecided),
                    // Over with no leg listed: the pages are read moments apart, so a forward may
                    // be missing from an earlier one; its own lookup reads the legs after the parent.
                    _ => None,
                },
            }
        })
        .collect()
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

    #[test]
    fn a_list_of_the_account_s_calls_gives_each_due_call_its_own_lookup_s_verdict() {
        let call = |sid: &str, parent: Option<&str>, status: &str| rest::Call {
            sid: sid.into(),
            parent_call_sid: parent.map(Into::into),
            status: status.into(),
            direction: Some(
                if parent.is_some() {
                    "outbound-dial"
                } else {
                    "inbound"
                }
                .into(),
            ),
            from: None,
            to: None,
            start_time: None,
        };
        let listed = vec![
            call("CA1", None, "completed"),
            call("CA1-leg", Some("CA1"), "no-answer"),
            call("CA2", None, "completed"),
            call("CA2-leg", Some("CA2"), "completed"),
            // Over with no leg: hung up before the forward rang, or a leg on a page read earlier.
            call("CA3", None, "completed"),
            call("CA4", None, "in-progress"),
            call("CA5-leg", Some("CA5"), "completed"),
            call("CA6", None, "completed"),
            call("CA6-leg", Some("CA6"), "completed"),
        ];
        let due = [
            ("CA1", false),
            ("CA2", false),
            ("CA3", false),
            ("CA4", false),
            // Its parent is not on the pages read: looked up on its own.
            ("CA5", false),
            ("CA9", false),
            // Screened: an answered leg proves nothing without an acceptance.
            ("CA6", true),
        ];
        let missed = |status| Some(Verdict::Missed { status });
        assert_eq!(
            verdicts_from_list(&listed, &due),
            vec![
                missed(DialStatus::NoAnswer),
                Some(Verdict::Answered),
                None,
                Some(Verdict::Undecided),
                None,
                None,
                missed(DialStatus::Completed),
            ]
        );
    }
}
