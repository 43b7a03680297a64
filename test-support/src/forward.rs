//! Helpers for the requests about a forwarded leg, one per endpoint, delivered by the double in
//! Twilio's format and signed by it: the screening question (`screen_call`), the key press that
//! accepts a screened forward (`accept_screen`), and the leg's status callback (`dial_status`). The
//! URLs are the ones Phase 1 hands Twilio, built here independently of the product.
use crate::app::{Reply, TestApp};
use crate::{FORWARD_TO, TWILIO_NUMBER};
use std::time::Duration;
use twilio_double::ForwardLeg;

pub const SCREEN_PATH: &str = "/api/webhooks/twilio/screen";
pub const DIAL_STATUS_PATH: &str = "/api/webhooks/twilio/dial-status";

/// The query Phase 1 puts on the forward's URLs for a call from `from`, sorted by name.
pub fn forward_query(call_sid: &str, from: &str, screened: bool, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("origFrom", from),
        ("origTo", TWILIO_NUMBER),
        ("parentCallSid", call_sid),
    ];
    if screened {
        pairs.push(("screened", "1"));
    }
    pairs.extend_from_slice(extra);
    pairs.sort();
    format!("?{}", serde_urlencoded::to_string(pairs).unwrap())
}

impl TestApp {
    /// The forwarded leg of `call_sid` (a call from `from`), with a CallSid of its own.
    pub fn forward_leg(&self, call_sid: &str, from: &str) -> ForwardLeg {
        self.twilio.forward_leg(call_sid, from, FORWARD_TO)
    }

    /// Twilio asks the screening URL of a screened number `business` for what to play to whoever
    /// picked up the forward.
    pub async fn screen_call(&self, leg: &ForwardLeg, business: &str) -> Reply {
        let query = forward_query(
            &leg.parent_call_sid,
            &leg.from,
            true,
            &[("business", business)],
        );
        let url = format!("{}{SCREEN_PATH}{query}", self.address);
        reply(self.twilio.deliver_screen(&url, leg).await)
    }

    /// The person who picked up the screened forward pressed `1` (the Gather's action request).
    pub async fn accept_screen(&self, leg: &ForwardLeg, business: &str) -> Reply {
        let query = forward_query(
            &leg.parent_call_sid,
            &leg.from,
            true,
            &[("business", business), ("step", "accept")],
        );
        let url = format!("{}{SCREEN_PATH}{query}", self.address);
        reply(self.twilio.deliver_gather(&url, leg, "1").await)
    }

    /// The leg's status callback with `status` (`in-progress` for `answered`, or how it ended).
    pub async fn dial_status(&self, leg: &ForwardLeg, status: &str, screened: bool) -> Reply {
        let query = forward_query(&leg.parent_call_sid, &leg.from, screened, &[]);
        let url = format!("{}{DIAL_STATUS_PATH}{query}", self.address);
        let sequence = u32::from(status != "in-progress");
        let duration = if status == "completed" { 42 } else { 0 };
        reply(
            self.twilio
                .deliver_dial_status(&url, leg, status, duration, sequence)
                .await,
        )
    }
}

fn reply((status, body): (u16, String)) -> Reply {
    Reply {
        status,
        content_type: String::new(),
        body,
        elapsed: Duration::ZERO,
    }
}
