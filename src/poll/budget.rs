//! A poll run's Twilio budget: Workers allow a fixed number of subrequests per invocation, so every
//! request is counted and every call is reserved its worst case before it is started.
use crate::domain::BusinessNumber;
use crate::http::{HttpClient, InboundResponse, OutboundRequest, TransportError};
use std::cell::Cell;

/// The most Twilio requests one undecided call can need: child legs, the parent, the child legs
/// again when the parent is over and had none, the text.
pub const MAX_REQUESTS_PER_UNDECIDED_CALL: u32 = 4;

/// What a call costs once the run's listing of Twilio's calls gave its verdict: at most its text.
pub const DECIDED: u32 = 1;

/// What a due call may cost: an undecided call its lookups and the text; an owed text the send,
/// plus one listing first when an earlier send may have gone out.
pub fn worst_case(owed: bool, verify_first: bool) -> u32 {
    match (owed, verify_first) {
        (false, _) => MAX_REQUESTS_PER_UNDECIDED_CALL,
        (true, false) => 1,
        (true, true) => 2,
    }
}

/// The requests a number's rules may add to a call's text: a Lookup of the caller's line type, and
/// the owner's heads-up.
pub fn rule_requests(business: Option<&BusinessNumber>) -> u32 {
    business.map_or(0, |b| {
        u32::from(b.rules.skip_landlines) + u32::from(b.notify_owner)
    })
}

/// Whether a call that may cost `worst_case` still fits after `sent` requests.
pub fn fits(sent: u32, worst_case: u32, budget: u32) -> bool {
    sent + worst_case <= budget
}

/// Counts every request that reaches Twilio, to keep a run inside its subrequest budget.
pub struct Counted<'a, H> {
    inner: &'a H,
    sent: Cell<u32>,
}

impl<'a, H: HttpClient> Counted<'a, H> {
    pub fn new(inner: &'a H) -> Self {
        Counted {
            inner,
            sent: Cell::new(0),
        }
    }
    pub fn sent(&self) -> u32 {
        self.sent.get()
    }
}

impl<H: HttpClient> HttpClient for Counted<'_, H> {
    async fn send(&self, request: OutboundRequest) -> Result<InboundResponse, TransportError> {
        self.sent.set(self.sent.get() + 1);
        self.inner.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_is_reserved_its_worst_case() {
        assert_eq!(worst_case(false, false), 4);
        assert_eq!(worst_case(false, true), 4);
        assert_eq!(worst_case(true, false), 1);
        assert_eq!(worst_case(true, true), 2);
        assert!(fits(42, 3, 45));
        let number = |rules: &str| {
            crate::domain::BusinessNumberInput::from_json(
                &format!(r#"{{"forward_to": "+14155550100", "business_name": "J"{rules}}}"#),
                &crate::domain::PhoneNumber::parse("+14155559000").unwrap(),
            )
            .unwrap()
        };
        assert_eq!(rule_requests(None), 0);
        assert_eq!(rule_requests(Some(&number(""))), 0);
        let both = number(r#", "skip_landlines": true, "notify_owner": true"#);
        assert_eq!(rule_requests(Some(&both)), 2);
        assert!(!fits(43, 3, 45));
        assert!(fits(44, 1, 45));
        assert!(!fits(45, 1, 45));
    }
}
