//! The fast path's decisions, as plain functions: what a voice webhook asks (Phase 1: a call came
//! in; Phase 2: the forward ended; the forwarded leg's screening and status callback), what TwiML
//! answers it, and what work follows the answer. `routes::voice`, `routes::screen` and
//! `routes::dial_status` read the requests and do the I/O these ask for.
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
        /// The forward was screened (`screened=1` in the action URL).
        screened: bool,
    },
}

/// Whether our URL's query says the forward was screened.
fn screened(query: &Params) -> bool {
    query.get("screened") == Some("1")
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
                screened: screened(query),
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
    call_sid: &str,
    from: &Caller,
    to: &PhoneNumber,
) -> Option<String> {
    let number = business.filter(|number| number.enabled)?;
    if from.textable() == Some(&number.forward_to) {
        return Some(twiml::say_and_hang_up(OWN_PHONE));
    }
    let forward = twiml::Forward {
        call_sid,
        from,
        to,
        screened: number.screen_calls,
    };
    let action = twiml::dial_action_url(app_url, from, to, number.screen_calls);
    let screen = number
        .screen_calls
        .then(|| twiml::screen_url(app_url, &forward, &number.business_name, false));
    Some(twiml::dial(
        &action,
        number.dial_timeout_secs,
        &number.forward_to,
        &twiml::dial_status_url(app_url, &forward),
        screen.as_deref(),
    ))
}

/// The caller's call a request about the forward names in its URL (`parentCallSid`, `origFrom`,
/// `origTo`), so its handler works when Phase 1 could not record the call.
fn forwarded_call(query: &Params, form: &Params) -> Result<CallRef, String> {
    let call_sid = query
        .get("parentCallSid")
        .or(form.get("ParentCallSid"))
        .filter(|sid| !sid.is_empty())
        .ok_or("missing parentCallSid")?;
    let from = query.get("origFrom").ok_or("missing origFrom")?;
    let to = query.get("origTo").ok_or("missing origTo")?;
    Ok(CallRef {
        call_sid: call_sid.to_string(),
        from: Caller::parse(from),
        to: PhoneNumber::parse(to).map_err(|e| format!("origTo: {e}"))?,
    })
}

/// Seconds the person who picked up a screened forward has to press a key.
pub const SCREEN_TIMEOUT_SECS: u32 = 8;

/// A request to the screening URL: the forward was picked up (ask), or a key was pressed (accept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenRequest {
    Ask { call: CallRef, business: String },
    Accept { call: CallRef },
}

pub fn parse_screen(query: &Params, form: &Params) -> Result<ScreenRequest, String> {
    let call = forwarded_call(query, form)?;
    match query.get("step") {
        None => Ok(ScreenRequest::Ask {
            call,
            business: query.get("business").unwrap_or_default().to_string(),
        }),
        Some("accept") => {
            form.required("Digits")?;
            Ok(ScreenRequest::Accept { call })
        }
        Some(other) => Err(format!("unknown step {other:?}")),
    }
}

/// What the person who picked up a screened forward hears: whose call, for which business. It is
/// spoken to the business's own phone, so the caller's digits are said one by one.
pub fn screen_twiml(app_url: &str, call: &CallRef, business: &str) -> String {
    let caller = match call.from.textable() {
        Some(number) => {
            let digits: Vec<String> = number
                .as_str()
                .chars()
                .filter(char::is_ascii_digit)
                .map(String::from)
                .collect();
            digits.join(" ")
        }
        None => "a withheld number".to_string(),
    };
    let whose = match business {
        "" => String::new(),
        name => format!(" for {name}"),
    };
    let forward = twiml::Forward {
        call_sid: &call.call_sid,
        from: &call.from,
        to: &call.to,
        screened: true,
    };
    twiml::screen(
        &format!("A call{whose} from {caller}. Press any key to take the call."),
        &twiml::screen_url(app_url, &forward, business, true),
        SCREEN_TIMEOUT_SECS,
    )
}

/// The forwarded leg's status callback: the caller's call it belongs to, and what the leg did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    pub call: CallRef,
    pub screened: bool,
    pub leg: ChildLeg,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildLeg {
    /// `in-progress`: someone (or something) picked up.
    Answered,
    /// The leg ended with this status (`completed`, `no-answer`, `busy`, `failed`, `canceled`).
    Ended(DialStatus),
    /// A status we did not subscribe to (`ringing`, `initiated` …).
    Other(String),
}

pub fn parse_status_callback(query: &Params, form: &Params) -> Result<StatusCallback, String> {
    let call = forwarded_call(query, form)?;
    form.required("CallSid")?;
    let leg = match form.required("CallStatus")? {
        "in-progress" | "answered" => ChildLeg::Answered,
        ended => match DialStatus::parse(ended) {
            DialStatus::Other(other) => ChildLeg::Other(other),
            status => ChildLeg::Ended(status),
        },
    };
    Ok(StatusCallback {
        call,
        screened: screened(query),
        leg,
    })
}

/// What the status callback does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStatus {
    /// The leg ended with this status: what Phase 2 would do with it.
    Ended(AfterDial, DialStatus),
    /// The leg was picked up: note it, and settle it answered unless screening must decide.
    RecordAnswered {
        settle: bool,
    },
    Ignore,
}

pub fn after_status(callback: &StatusCallback, polling_only: bool) -> AfterStatus {
    match &callback.leg {
        ChildLeg::Answered => AfterStatus::RecordAnswered {
            settle: !callback.screened,
        },
        ChildLeg::Ended(status) => AfterStatus::Ended(
            after_dial(status, callback.screened, polling_only),
            status.clone(),
        ),
        ChildLeg::Other(_) => AfterStatus::Ignore,
    }
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
    /// A screened forward completed: answered only when a person accepted it, else missed (texted
    /// now, or in polling-only mode left to the poll).
    SettleIfAccepted { else_text: bool },
    /// A status we do not know: note it, and the poll asks Twilio.
    LeaveToPoll,
}

pub fn after_dial(status: &DialStatus, screened: bool, polling_only: bool) -> AfterDial {
    if status.is_missed() {
        if polling_only {
            AfterDial::RecordForPoll
        } else {
            AfterDial::Text
        }
    } else if status.is_answered() && screened {
        AfterDial::SettleIfAccepted {
            else_text: !polling_only,
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
            screened,
        } = parse(&query, &form).unwrap()
        else {
            panic!("not Phase 2");
        };
        assert_eq!(call.from, Caller::parse("+14155550111"));
        assert_eq!(call.to.as_str(), "+14155559000");
        assert_eq!(status, DialStatus::Busy);
        assert!(!caller_gone && !screened);
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
            ("no-answer", false, false, AfterDial::Text),
            ("busy", false, true, AfterDial::RecordForPoll),
            ("completed", false, false, AfterDial::SettleAnswered),
            ("answered", false, true, AfterDial::SettleAnswered),
            ("ringing", false, false, AfterDial::LeaveToPoll),
            ("no-answer", true, false, AfterDial::Text),
            (
                "completed",
                true,
                false,
                AfterDial::SettleIfAccepted { else_text: true },
            ),
            (
                "answered",
                true,
                true,
                AfterDial::SettleIfAccepted { else_text: false },
            ),
        ];
        for (status, screened, polling_only, expected) in cases {
            assert_eq!(
                after_dial(&DialStatus::parse(status), screened, polling_only),
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
            ..Default::default()
        }
        .validate("+14155559000")
        .unwrap();
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
        assert!(xml.contains(r#"timeout="25""#), "{xml}");
        assert!(xml.contains(">+14155550100</Number>"), "{xml}");
        assert!(xml.contains("origFrom=%2B14155550123&amp;origTo=%2B14155559000"));
        assert!(xml.contains("dial-status?origFrom=%2B14155550123&amp;origTo=%2B14155559000&amp;parentCallSid=CA1\""), "{xml}");
        assert!(!xml.contains("screen"), "{xml}");
        number.screen_calls = true;
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
        assert!(
            xml.contains("origTo=%2B14155559000&amp;screened=1\" method"),
            "{xml}"
        );
        assert!(
            xml.contains(
                " url=\"https://x.example/api/webhooks/twilio/screen?business=Joe%27s&amp;"
            ),
            "{xml}"
        );
        number.screen_calls = false;
        let owner = Caller::Number(number.forward_to.clone());
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &owner, &to).unwrap();
        assert!(!xml.contains("<Dial"), "{xml}");
        assert!(xml.contains(OWN_PHONE), "{xml}");
        number.enabled = false;
        assert_eq!(
            incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to),
            None
        );
        assert_eq!(
            incoming_twiml("https://x.example", None, "CA1", &from, &to),
            None
        );
    }

    const SCREEN_QUERY: &str =
        "origFrom=%2B14155550123&origTo=%2B14155559000&parentCallSid=CA1&screened=1";

    #[test]
    fn screening_asks_then_accepts_on_a_key() {
        let form = params("CallSid=CA2&From=%2B14155559000&To=%2B14155550100");
        let ScreenRequest::Ask { call, business } =
            parse_screen(&params(&format!("business=Joe%27s&{SCREEN_QUERY}")), &form).unwrap()
        else {
            panic!("not the question");
        };
        assert_eq!(
            call.call_sid, "CA1",
            "the caller's call, not the forwarded leg"
        );
        let xml = screen_twiml("https://x.example", &call, &business);
        assert!(
            xml.contains("<Say>A call for Joe&apos;s from 1 4 1 5 5 5 5 0 1 2 3. Press any key"),
            "{xml}"
        );
        assert!(
            xml.contains("parentCallSid=CA1&amp;screened=1&amp;step=accept\""),
            "{xml}"
        );
        let accept = params(&format!("{SCREEN_QUERY}&step=accept"));
        let pressed = params("CallSid=CA2&Digits=5");
        assert!(matches!(
            parse_screen(&accept, &pressed),
            Ok(ScreenRequest::Accept { call }) if call.call_sid == "CA1"
        ));
        for (query, form, expected) in [
            (
                format!("{SCREEN_QUERY}&step=accept"),
                "CallSid=CA2",
                "Digits",
            ),
            (
                format!("{SCREEN_QUERY}&step=other"),
                "Digits=1",
                "unknown step",
            ),
            (
                "origFrom=%2B14155550123&origTo=%2B14155559000".into(),
                "",
                "parentCallSid",
            ),
            ("parentCallSid=CA1&origFrom=%2B1".into(), "", "origTo"),
        ] {
            let error = parse_screen(&params(&query), &params(form)).unwrap_err();
            assert!(error.contains(expected), "{error:?} should name {expected}");
        }
    }

    #[test]
    fn the_status_callback_decides_like_phase_two() {
        let decide = |query: &str, status: &str, polling_only: bool| {
            let form = params(&format!(
                "CallSid=CA2&ParentCallSid=CA1&CallStatus={status}&CallDuration=0"
            ));
            after_status(
                &parse_status_callback(&params(query), &form).unwrap(),
                polling_only,
            )
        };
        let plain = "origFrom=%2B14155550123&origTo=%2B14155559000&parentCallSid=CA1";
        let cases = [
            (
                plain,
                "in-progress",
                AfterStatus::RecordAnswered { settle: true },
            ),
            (
                SCREEN_QUERY,
                "in-progress",
                AfterStatus::RecordAnswered { settle: false },
            ),
            (
                plain,
                "no-answer",
                AfterStatus::Ended(AfterDial::Text, DialStatus::NoAnswer),
            ),
            (
                SCREEN_QUERY,
                "busy",
                AfterStatus::Ended(AfterDial::Text, DialStatus::Busy),
            ),
            (
                plain,
                "completed",
                AfterStatus::Ended(AfterDial::SettleAnswered, DialStatus::Completed),
            ),
            (
                SCREEN_QUERY,
                "completed",
                AfterStatus::Ended(
                    AfterDial::SettleIfAccepted { else_text: true },
                    DialStatus::Completed,
                ),
            ),
            (plain, "ringing", AfterStatus::Ignore),
        ];
        for (query, status, expected) in cases {
            assert_eq!(decide(query, status, false), expected, "{query} {status}");
        }
        assert_eq!(
            decide(plain, "failed", true),
            AfterStatus::Ended(AfterDial::RecordForPoll, DialStatus::Failed)
        );
        for (form, expected) in [
            ("CallSid=CA2", "CallStatus"),
            ("CallStatus=completed", "CallSid"),
        ] {
            let error = parse_status_callback(&params(plain), &params(form)).unwrap_err();
            assert!(error.contains(expected), "{error:?} should name {expected}");
        }
    }
}
