//! The fast path's decisions, as plain functions: what a voice webhook asks (Phase 1: a call came
//! in; Phase 2: the forward ended; the forwarded leg's screening and status callback), what TwiML
//! answers it, and what work follows the answer; the voicemail a missed caller may leave and its
//! recording callback. `routes::voice`, `routes::screen`, `routes::dial_status` and
//! `routes::recording` read the requests and do the I/O these ask for.
use crate::domain::business::DEFAULT_VOICEMAIL_GREETING;
use crate::domain::rules;
use crate::domain::{BusinessNumber, CallRef, Caller, DialStatus, PhoneNumber};
use crate::store::recordings::Recording;
use crate::twilio::twiml;
use crate::twilio::webhook::Params;
use serde::{Deserialize, Serialize};

pub const NOT_IN_SERVICE: &str = "Sorry, the number you have called is not in service. Goodbye.";
pub const APOLOGY: &str =
    "Sorry, we cannot take your call right now. Please try again later. Goodbye.";
pub const MISSED: &str = "Sorry we missed you. We will text you shortly. Goodbye.";
/// The goodbye for a caller who cannot be texted (a withheld caller ID): no promise of a text.
pub const MISSED_NO_TEXT: &str = "Sorry we missed you. Please call again later. Goodbye.";
/// For a call from the very phone the number forwards to: forwarding would ring the caller.
pub const OWN_PHONE: &str =
    "This number forwards calls to the phone you are calling from, so there is nobody to connect you to. Goodbye.";
/// The default greeting promises a text; a caller who cannot be texted hears this instead.
pub const VOICEMAIL_NO_TEXT: &str = "Sorry we missed you. Please leave a message after the tone.";
/// What the caller hears when the message ends (the `<Record action>`).
pub const AFTER_MESSAGE: &str = "Thank you. Goodbye.";
/// The longest voicemail, in seconds.
pub const VOICEMAIL_MAX_SECS: u32 = 120;

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
        /// The number takes voicemail (`voicemail=1`): the greeting to play.
        voicemail: Option<String>,
        /// The number's rules never text this caller (`notext=1`): no text is promised.
        no_text: bool,
    },
}

/// Whether our URL's query says the forward was screened.
fn screened(query: &Params) -> bool {
    query.get("screened") == Some("1")
}

/// The greeting Phase 1's action URL carries when the number takes voicemail: its own
/// (`greeting=…`), else the default.
fn voicemail(query: &Params) -> Option<String> {
    (query.get("voicemail") == Some("1")).then(|| {
        query
            .get("greeting")
            .map(str::trim)
            .filter(|greeting| !greeting.is_empty())
            .unwrap_or(DEFAULT_VOICEMAIL_GREETING)
            .to_string()
    })
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
                voicemail: voicemail(query),
                no_text: query.get("notext") == Some("1"),
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
    if is_own_phone(number, from) {
        return Some(twiml::say_and_hang_up(OWN_PHONE));
    }
    let forward = twiml::Forward {
        call_sid,
        from,
        to,
        screened: number.screen_calls,
    };
    let voicemail = number
        .voicemail
        .then_some(number.voicemail_greeting.as_str());
    let no_text = from
        .textable()
        .is_some_and(|caller| rules::never_texted(number, caller).is_some());
    let action = twiml::dial_action_url(app_url, from, to, number.screen_calls, no_text, voicemail);
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

/// A call from the very phone the number forwards to: not forwarded back to it.
fn is_own_phone(number: &BusinessNumber, from: &Caller) -> bool {
    from.textable() == Some(&number.forward_to)
}

/// The queue message of a forwarded call's check (`routes::checks`): the call's SID and nothing
/// else, since a message is no place for a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCheck {
    pub call_sid: String,
}

/// The check Phase 1 queues for a call it forwards, and the seconds until it is due: the number's
/// dial timeout and the callback's grace, as the poll counts them. None when the call is not
/// forwarded (not in service, or from the phone the number forwards to).
pub fn due_check(
    business: Option<&BusinessNumber>,
    call_sid: &str,
    from: &Caller,
    callback_grace_secs: u32,
) -> Option<(DueCheck, u32)> {
    let number = business.filter(|number| number.enabled && !is_own_phone(number, from))?;
    let check = DueCheck {
        call_sid: call_sid.to_string(),
    };
    Some((check, number.dial_timeout_secs + callback_grace_secs))
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

/// Phase 2's TwiML for a caller still on the line after a missed forward: the voicemail greeting
/// and `<Record>` when the number takes messages (`voicemail`, its greeting), else a goodbye; for
/// anyone else nothing. Only a caller who can be texted hears that a text is coming: a withheld
/// caller, or one the number's rules never text (`no_text`), may leave a message too, but the
/// default greeting's promise of a text is left out.
pub fn dial_result_twiml(
    app_url: &str,
    status: &DialStatus,
    call: &CallRef,
    caller_gone: bool,
    no_text: bool,
    voicemail: Option<&str>,
) -> String {
    if !status.is_missed() || caller_gone {
        return twiml::empty();
    }
    let textable = call.from.textable().is_some() && !no_text;
    match voicemail {
        Some(greeting) => {
            let greeting = if !textable && greeting == DEFAULT_VOICEMAIL_GREETING {
                VOICEMAIL_NO_TEXT
            } else {
                greeting
            };
            twiml::record(
                greeting,
                VOICEMAIL_MAX_SECS,
                &twiml::recording_done_url(app_url),
                &twiml::recording_status_url(app_url, &call.from, &call.to),
            )
        }
        None if textable => twiml::say_and_hang_up(MISSED),
        None => twiml::say_and_hang_up(MISSED_NO_TEXT),
    }
}

/// A request to the recording route: the voicemail's status callback, or Twilio asking what the
/// caller hears once the message ends (`step=done`, the `<Record action>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingRequest {
    /// The message ended: thank the caller and hang up.
    Done,
    /// A finished recording to store (and tell the owner about).
    Completed(Recording),
    /// A status other than `completed` (`absent`, `failed` …): logged, nothing stored.
    Other {
        call_sid: String,
        recording_sid: String,
        status: String,
    },
}

/// Reads the recording route's request; the error names what is missing or malformed. The call's
/// numbers come from our URL (`origFrom`, `origTo`), so a call Phase 1 could not record is stored.
pub fn parse_recording(query: &Params, form: &Params) -> Result<RecordingRequest, String> {
    match query.get("step") {
        None => {}
        Some("done") => return Ok(RecordingRequest::Done),
        Some(other) => return Err(format!("unknown step {other:?}")),
    }
    let call_sid = form.required("CallSid")?.to_string();
    let recording_sid = form.required("RecordingSid")?.to_string();
    match form.get("RecordingStatus").unwrap_or("completed") {
        "completed" => {}
        other => {
            return Ok(RecordingRequest::Other {
                call_sid,
                recording_sid,
                status: other.to_string(),
            })
        }
    }
    let url = form.required("RecordingUrl")?.trim().to_string();
    let duration = form.required("RecordingDuration")?;
    let duration_secs = duration
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("RecordingDuration: not a number of seconds: {duration:?}"))?;
    let from = query.get("origFrom").ok_or("missing origFrom")?;
    let to = query.get("origTo").ok_or("missing origTo")?;
    Ok(RecordingRequest::Completed(Recording {
        call: CallRef {
            call_sid,
            from: Caller::parse(from),
            to: PhoneNumber::parse(to).map_err(|e| format!("origTo: {e}"))?,
        },
        recording_sid,
        url,
        duration_secs,
    }))
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
            voicemail,
            no_text,
        } = parse(&query, &form).unwrap()
        else {
            panic!("not Phase 2");
        };
        assert_eq!(call.from, Caller::parse("+14155550111"));
        assert_eq!(call.to.as_str(), "+14155559000");
        assert_eq!(status, DialStatus::Busy);
        assert!(!caller_gone && !screened && voicemail.is_none() && !no_text);
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
        let call = call_from("+14155550123");
        let twiml_for = |status: &DialStatus, gone: bool| {
            dial_result_twiml("https://x.example", status, &call, gone, false, None)
        };
        assert!(twiml_for(&missed, false).contains("<Say>Sorry we missed you"));
        assert_eq!(twiml_for(&missed, true), twiml::empty());
        assert_eq!(twiml_for(&DialStatus::Completed, false), twiml::empty());
    }

    fn call_from(from: &str) -> CallRef {
        CallRef {
            call_sid: "CA1".into(),
            from: Caller::parse(from),
            to: PhoneNumber::parse("+14155559000").unwrap(),
        }
    }

    #[test]
    fn a_withheld_caller_is_not_promised_a_text() {
        for withheld in ["anonymous", "+266696687", ""] {
            let call = call_from(withheld);
            let goodbye = |greeting| {
                let busy = &DialStatus::Busy;
                dial_result_twiml("https://x.example", busy, &call, false, false, greeting)
            };
            let xml = goodbye(None);
            assert!(xml.contains(MISSED_NO_TEXT), "{withheld:?}: {xml}");
            assert!(!xml.contains("text"), "{withheld:?}: {xml}");
            let xml = goodbye(Some(DEFAULT_VOICEMAIL_GREETING));
            assert!(xml.contains(VOICEMAIL_NO_TEXT), "{withheld:?}: {xml}");
            assert!(xml.contains("<Record "), "{withheld:?}: {xml}");
            assert!(!xml.contains("text"), "{withheld:?}: {xml}");
        }
    }

    /// A TwiML verb: its name, its text and its attributes.
    type Verb = (String, String, Vec<(String, String)>);

    /// The verbs of a TwiML answer, parsed as XML.
    fn verbs(xml: &str) -> Vec<Verb> {
        let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert!(doc.root_element().has_tag_name("Response"));
        doc.root_element()
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                (
                    n.tag_name().name().to_string(),
                    n.text().unwrap_or_default().to_string(),
                    n.attributes()
                        .map(|a| (a.name().to_string(), a.value().to_string()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_missed_caller_of_a_voicemail_number_is_greeted_and_recorded() {
        let query = params("greeting=Leave+it+%26+go&mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559000&voicemail=1");
        let form = params("CallSid=CA1&DialCallStatus=no-answer&CallStatus=in-progress");
        let VoiceRequest::DialResult {
            call,
            status,
            caller_gone,
            voicemail,
            ..
        } = parse(&query, &form).unwrap()
        else {
            panic!("not Phase 2");
        };
        assert_eq!(voicemail.as_deref(), Some("Leave it & go"));
        let xml = dial_result_twiml(
            "https://x.example",
            &status,
            &call,
            caller_gone,
            false,
            voicemail.as_deref(),
        );
        let verbs = verbs(&xml);
        assert_eq!(verbs.len(), 2, "{xml}");
        assert_eq!(
            (verbs[0].0.as_str(), verbs[0].1.as_str()),
            ("Say", "Leave it & go")
        );
        assert_eq!(verbs[1].0, "Record");
        let attribute = |name: &str| {
            verbs[1]
                .2
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(attribute("maxLength").as_deref(), Some("120"));
        assert_eq!(attribute("playBeep").as_deref(), Some("true"));
        assert_eq!(
            attribute("action").as_deref(),
            Some("https://x.example/api/webhooks/twilio/recording?step=done")
        );
        assert_eq!(
            attribute("recordingStatusCallback").as_deref(),
            Some("https://x.example/api/webhooks/twilio/recording?origFrom=%2B14155550123&origTo=%2B14155559000")
        );
        // The default greeting is not in the URL, and is what the caller hears.
        let default =
            params("mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559000&voicemail=1");
        assert!(matches!(
            parse(&default, &form),
            Ok(VoiceRequest::DialResult { voicemail: Some(ref g), .. }) if g == DEFAULT_VOICEMAIL_GREETING
        ));
        // An answered forward, or a caller who hung up, gets no voicemail.
        let call = call_from("+14155550123");
        let on = Some(DEFAULT_VOICEMAIL_GREETING);
        for (status, gone) in [(DialStatus::Completed, false), (DialStatus::NoAnswer, true)] {
            assert_eq!(
                dial_result_twiml("https://x.example", &status, &call, gone, false, on),
                twiml::empty()
            );
        }
    }

    #[test]
    fn phase_one_marks_a_voicemail_number() {
        let to = PhoneNumber::parse("+14155559000").unwrap();
        let from = Caller::parse("+14155550123");
        let mut number = BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            voicemail: Some(true),
            ..Default::default()
        }
        .validate("+14155559000")
        .unwrap();
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
        assert!(
            xml.contains("origTo=%2B14155559000&amp;voicemail=1\" method"),
            "{xml}"
        );
        assert!(!xml.contains("greeting="), "{xml}");
        number.voicemail_greeting = "Speak now".into();
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
        assert!(
            xml.contains("?greeting=Speak+now&amp;mode=dial-result"),
            "{xml}"
        );
        number.voicemail = false;
        let xml = incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
        assert!(
            !xml.contains("voicemail") && !xml.contains("greeting"),
            "{xml}"
        );
    }

    #[test]
    fn a_recording_callback_is_read_or_named_wrong() {
        let query = params("origFrom=anonymous&origTo=%2B14155559000");
        let form = "CallSid=CA1&RecordingSid=RE1&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRE1&RecordingDuration=42&RecordingStatus=completed";
        let RecordingRequest::Completed(recording) =
            parse_recording(&query, &params(form)).unwrap()
        else {
            panic!("not a recording");
        };
        assert_eq!(recording.call.call_sid, "CA1");
        assert!(recording.call.from.textable().is_none());
        assert_eq!(recording.call.to.as_str(), "+14155559000");
        assert_eq!(
            (
                recording.recording_sid.as_str(),
                recording.url.as_str(),
                recording.duration_secs
            ),
            ("RE1", "https://api.twilio.com/RE1", 42)
        );
        assert_eq!(
            parse_recording(&params("step=done"), &Params::default()),
            Ok(RecordingRequest::Done)
        );
        assert_eq!(
            parse_recording(
                &query,
                &params("CallSid=CA1&RecordingSid=RE1&RecordingStatus=absent")
            ),
            Ok(RecordingRequest::Other {
                call_sid: "CA1".into(),
                recording_sid: "RE1".into(),
                status: "absent".into()
            })
        );
        for (query, form, expected) in [
            (
                "origFrom=x&origTo=%2B14155559000",
                "RecordingSid=RE1",
                "CallSid",
            ),
            (
                "origFrom=x&origTo=%2B14155559000",
                "CallSid=CA1",
                "RecordingSid",
            ),
            (
                "origFrom=x&origTo=%2B14155559000",
                "CallSid=CA1&RecordingSid=RE1&RecordingDuration=4",
                "RecordingUrl",
            ),
            (
                "origFrom=x&origTo=%2B14155559000",
                "CallSid=CA1&RecordingSid=RE1&RecordingUrl=u",
                "RecordingDuration",
            ),
            (
                "origFrom=x&origTo=%2B14155559000",
                "CallSid=CA1&RecordingSid=RE1&RecordingUrl=u&RecordingDuration=x",
                "RecordingDuration",
            ),
            (
                "origFrom=x",
                "CallSid=CA1&RecordingSid=RE1&RecordingUrl=u&RecordingDuration=4",
                "origTo",
            ),
            ("step=other", "", "unknown step"),
        ] {
            let error = parse_recording(&params(query), &params(form)).unwrap_err();
            assert!(error.contains(expected), "{error:?} should name {expected}");
        }
    }

    #[test]
    fn a_caller_the_rules_never_text_is_promised_no_text() {
        let to = PhoneNumber::parse("+14155559000").unwrap();
        let number = BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            blocked_callers: Some(vec!["+14155550666".into()]),
            voicemail: Some(true),
            ..Default::default()
        }
        .validate("+14155559000")
        .unwrap();
        for (caller, kept) in [
            ("+14155550666", true),
            ("+447700900123", true),
            ("+14155550123", false),
        ] {
            let from = Caller::parse(caller);
            let xml =
                incoming_twiml("https://x.example", Some(&number), "CA1", &from, &to).unwrap();
            assert_eq!(xml.contains("notext=1"), kept, "{caller}: {xml}");
            let query = params(&format!(
                "mode=dial-result&origFrom={}&origTo=%2B14155559000{}",
                caller.replace('+', "%2B"),
                if kept { "&notext=1" } else { "" }
            ));
            let form = params("CallSid=CA1&DialCallStatus=no-answer&CallStatus=in-progress");
            let Ok(VoiceRequest::DialResult { call, no_text, .. }) = parse(&query, &form) else {
                panic!("not Phase 2");
            };
            assert_eq!(no_text, kept);
            let goodbye = dial_result_twiml(
                "https://x.example",
                &DialStatus::NoAnswer,
                &call,
                false,
                no_text,
                None,
            );
            let greeting = dial_result_twiml(
                "https://x.example",
                &DialStatus::NoAnswer,
                &call,
                false,
                no_text,
                Some(DEFAULT_VOICEMAIL_GREETING),
            );
            if kept {
                assert!(goodbye.contains(MISSED_NO_TEXT), "{caller}: {goodbye}");
                assert!(greeting.contains(VOICEMAIL_NO_TEXT), "{caller}: {greeting}");
            } else {
                assert!(goodbye.contains(MISSED), "{caller}: {goodbye}");
                assert!(
                    !greeting.contains(VOICEMAIL_NO_TEXT),
                    "{caller}: {greeting}"
                );
            }
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

    #[test]
    fn a_forwarded_call_is_checked_after_its_dial_timeout_and_grace() {
        let from = Caller::parse("+14155550123");
        let mut number = BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            dial_timeout_secs: Some(25),
            ..Default::default()
        }
        .validate("+14155559000")
        .unwrap();
        let (check, delay) = due_check(Some(&number), "CA1", &from, 20).unwrap();
        assert_eq!(delay, 45);
        assert_eq!(
            serde_json::to_string(&check).unwrap(),
            r#"{"call_sid":"CA1"}"#,
            "the SID only: no phone number in a message"
        );
        let owner = Caller::Number(number.forward_to.clone());
        assert_eq!(due_check(Some(&number), "CA1", &owner, 20), None);
        number.enabled = false;
        assert_eq!(due_check(Some(&number), "CA1", &from, 20), None);
        assert_eq!(due_check(None, "CA1", &from, 20), None);
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
