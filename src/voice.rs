//! The fast path's decisions, as plain functions: what a voice webhook asks (Phase 1: a call came
//! in; Phase 2: the forward ended), what TwiML answers it, and what work follows the answer.
//! `routes::voice` reads the request and does the I/O these ask for.
use crate::domain::{BusinessNumber, CallRef, Caller, DialStatus, PhoneNumber};
use crate::twilio::twiml;
use crate::twilio::webhook::Params;

pub const NOT_IN_SERVICE: &str = "Sorry, the number you have called is not in service. Goodbye.";
pub const APOLOGY: &str =
    "Sorry, we cannot take your call right now. Please try again later. Goodbye.";
pub const MISSED: &str = "Sorry we missed you. We will text you shortly. Goodbye.";
/// The goodbye for a caller who cannot be texted (a withheld caller ID): no promise of a text.
pub const MISSED_NO_TEXT: &str = "Sorry we missed you. Please call again later. Goodbye.";
/// For a call from the very phone the number forwards to: forwarding would ring the caller.
pub const OWN_PHONE: &str =
    "This number forwards calls to the phone you are calling from, so there is nobody to connect you to. Goodbye.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceRequest {
    /// Phase 1: forward the call.
    Incoming {
        call_sid: String,
        from: Caller,
        to: PhoneNumber,
    },
    /// Phase 2 (`?mode=dial-result`): the forward ended with `status`.
    DialResult {
        call: CallRef,
        status: DialStatus,
        /// The caller already hung up, so there is nobody to say goodbye to.
        caller_gone: bool,
    },
}

/// Reads a voice webhook from its query and form; the error names what is missing or malformed.
pub fn parse(query: &Params, form: &Params) -> Result<VoiceRequest, String> {
    let to_number = |raw: &str| PhoneNumber::parse(raw).map_err(|e| format!("To: {e}"));
    match query.get("mode") {
        // An empty or missing From is a caller we cannot text, not a reason to drop the call.
        None => Ok(VoiceRequest::Incoming {
            call_sid: form.required("CallSid")?.to_string(),
            from: Caller::parse(form.get("From").unwrap_or("")),
            to: to_number(form.required("To")?)?,
        }),
        Some("dial-result") => {
            let call_sid = form.required("CallSid")?.to_string();
            let status = DialStatus::parse(form.required("DialCallStatus")?);
            // The action URL carries the original numbers, so Phase 2 works when Phase 1 could
            // not record the call.
            let from = query
                .get("origFrom")
                .or(form.get("From"))
                .ok_or("missing origFrom")?;
            let to = query
                .get("origTo")
                .or(form.get("To"))
                .ok_or("missing origTo")?;
            Ok(VoiceRequest::DialResult {
                call: CallRef {
                    call_sid,
                    from: Caller::parse(from),
                    to: to_number(to)?,
                },
                status,
                caller_gone: form.get("CallStatus").is_some_and(|s| s != "in-progress"),
            })
        }
        Some(other) => Err(format!("unknown mode {other:?}")),
    }
}

/// Phase 1's answer once the number's settings are known (from the database or the isolate's
/// copy): forward an enabled number, tell the caller anything else is not in service. A call from
/// the phone the number forwards to is not forwarded back to it.
pub fn incoming_twiml(
    app_url: &str,
    business: Option<&BusinessNumber>,
    from: &Caller,
    to: &PhoneNumber,
) -> Option<String> {
    let number = business.filter(|number| number.enabled)?;
    if from.textable() == Some(&number.forward_to) {
        return Some(twiml::say_and_hang_up(OWN_PHONE));
    }
    let action = twiml::dial_action_url(app_url, from, to);
    Some(twiml::dial(
        &action,
        number.dial_timeout_secs,
        &number.forward_to,
    ))
}

/// What Phase 2 does after answering Twilio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterDial {
    /// Hand the call to the missed-call handler now (the fast path).
    Text,
    /// Polling-only mode: note the dial result; the next poll texts.
    RecordForPoll,
    /// Someone picked up: settle the call without a text.
    SettleAnswered,
    /// A status we do not know: note it, and the poll asks Twilio.
    LeaveToPoll,
}

pub fn after_dial(status: &DialStatus, polling_only: bool) -> AfterDial {
    if status.is_missed() {
        if polling_only {
            AfterDial::RecordForPoll
        } else {
            AfterDial::Text
        }
    } else if status.is_answered() {
        AfterDial::SettleAnswered
    } else {
        AfterDial::LeaveToPoll
    }
}

/// Phase 2's TwiML: a goodbye to a caller still on the line after a missed forward, else nothing.
/// Only a caller who can be texted hears that a text is coming.
pub fn dial_result_twiml(status: &DialStatus, caller: &Caller, caller_gone: bool) -> String {
    match (status.is_missed() && !caller_gone, caller.textable()) {
        (false, _) => twiml::empty(),
        (true, Some(_)) => twiml::say_and_hang_up(MISSED),
        (true, None) => twiml::say_and_hang_up(MISSED_NO_TEXT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BusinessNumberInput;

    fn params(raw: &str) -> Params {
        Params::parse(raw, "test").unwrap()
    }

    const PHASE_ONE: &str = "CallSid=CA1&From=%2B14155550123&To=%2B14155559000&CallStatus=ringing";

    #[test]
    fn phase_one_is_a_call_with_its_numbers() {
        let request = parse(&Params::default(), &params(PHASE_ONE)).unwrap();
        assert_eq!(
            request,
            VoiceRequest::Incoming {
                call_sid: "CA1".into(),
                from: Caller::parse("+14155550123"),
                to: PhoneNumber::parse("+14155559000").unwrap(),
            }
        );
        let withheld = parse(
            &Params::default(),
            &params("CallSid=CA1&From=anonymous&To=%2B14155559000"),
        )
        .unwrap();
        assert!(
            matches!(withheld, VoiceRequest::Incoming { from: Caller::Withheld(ref raw), .. } if raw == "anonymous")
        );
    }

    #[test]
    fn a_malformed_webhook_names_what_is_wrong() {
        let cases = [
            ("", "From=%2B14155550123&To=%2B14155559000", "CallSid"),
            ("", "CallSid=CA1&From=%2B14155550123", "To"),
            ("", "CallSid=CA1&From=%2B14155550123&To=555", "To: "),
            ("mode=dial-result", PHASE_ONE, "DialCallStatus"),
            ("mode=other", PHASE_ONE, "unknown mode"),
        ];
        for (query, form, expected) in cases {
            let error = parse(&params(query), &params(form)).unwrap_err();
            assert!(error.contains(expected), "{error:?} should name {expected}");
        }
    }

    #[test]
    fn an_empty_from_is_still_a_call_to_forward() {
        for form in [
            "CallSid=CA1&From=&To=%2B14155559000",
            "CallSid=CA1&To=%2B14155559000",
        ] {
            let request = parse(&Params::default(), &params(form)).unwrap();
            assert!(
                matches!(request, VoiceRequest::Incoming { from: Caller::Withheld(ref raw), .. } if raw.is_empty()),
                "{form}: {request:?}"
            );
        }
    }

    #[test]
    fn phase_two_prefers_the_action_urls_numbers() {
        let query = params("mode=dial-result&origFrom=%2B14155550111&origTo=%2B14155559000");
        let form = params(
            "CallSid=CA1&From=%2B14155550999&To=%2B14155559999&DialCallStatus=busy&CallStatus=in-progress",
        );
        let VoiceRequest::DialResult {
            call,
            status,
            caller_gone,
        } = parse(&query, &form).unwrap()
        else {
            panic!("not Phase 2");
        };
        assert_eq!(call.from, Caller::parse("+14155550111"));
        assert_eq!(call.to.as_str(), "+14155559000");
        assert_eq!(status, DialStatus::Busy);
        assert!(!caller_gone);
        let gone = params("CallSid=CA1&From=%2B14155550999&To=%2B14155559999&DialCallStatus=busy&CallStatus=completed");
        let from_form = parse(&params("mode=dial-result"), &gone).unwrap();
        assert!(matches!(
            from_form,
            VoiceRequest::DialResult { ref call, caller_gone: true, .. } if call.from.as_str() == "+14155550999"
        ));
    }

    #[test]
    fn phase_two_work_follows_the_dial_status() {
        let cases = [
            ("no-answer", false, AfterDial::Text),
            ("busy", true, AfterDial::RecordForPoll),
            ("completed", false, AfterDial::SettleAnswered),
            ("answered", true, AfterDial::SettleAnswered),
            ("ringing", false, AfterDial::LeaveToPoll),
        ];
        for (status, polling_only, expected) in cases {
            assert_eq!(
                after_dial(&DialStatus::parse(status), polling_only),
                expected,
                "{status}"
            );
        }
        let missed = DialStatus::NoAnswer;
        let caller = Caller::parse("+14155550123");
        assert!(dial_result_twiml(&missed, &caller, false).contains("<Say>Sorry we missed you"));
        assert_eq!(dial_result_twiml(&missed, &caller, true), twiml::empty());
        assert_eq!(
            dial_result_twiml(&DialStatus::Completed, &caller, false),
            twiml::empty()
        );
    }

    #[test]
    fn a_withheld_caller_is_not_promised_a_text() {
        for withheld in ["anonymous", "+266696687", ""] {
            let xml = dial_result_twiml(&DialStatus::Busy, &Caller::parse(withheld), false);
            assert!(xml.contains(MISSED_NO_TEXT), "{withheld:?}: {xml}");
            assert!(!xml.contains("text"), "{withheld:?}: {xml}");
        }
    }

    #[test]
    fn only_an_enabled_number_is_forwarded() {
        let to = PhoneNumber::parse("+14155559000").unwrap();
        let from = Caller::parse("+14155550123");
        let mut number = BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            sms_template: None,
            dial_timeout_secs: Some(25),
            enabled: None,
            screen_calls: None,
        }
        .validate("+14155559000")
        .unwrap();
        let xml = incoming_twiml("https://x.example", Some(&number), &from, &to).unwrap();
        assert!(xml.contains(r#"timeout="25""#), "{xml}");
        assert!(xml.contains("<Number>+14155550100</Number>"), "{xml}");
        assert!(xml.contains("origFrom=%2B14155550123&amp;origTo=%2B14155559000"));
        let owner = Caller::Number(number.forward_to.clone());
        let xml = incoming_twiml("https://x.example", Some(&number), &owner, &to).unwrap();
        assert!(!xml.contains("<Dial"), "{xml}");
        assert!(xml.contains(OWN_PHONE), "{xml}");
        number.enabled = false;
        assert_eq!(
            incoming_twiml("https://x.example", Some(&number), &from, &to),
            None
        );
        assert_eq!(incoming_twiml("https://x.example", None, &from, &to), None);
    }
}
