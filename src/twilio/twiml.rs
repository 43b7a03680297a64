//! TwiML answers. Everything interpolated is XML-escaped; our URLs' queries are emitted in
//! alphabetical order because Twilio signs the order we hand it.
use crate::domain::business::DEFAULT_VOICEMAIL_GREETING;
use crate::domain::{Caller, PhoneNumber};

pub const CONTENT_TYPE: &str = "text/xml";

pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A webhook URL of ours with `query` emitted sorted by name, as Twilio signs what we hand it.
pub fn webhook_url(app_url: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut pairs = query.to_vec();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let query = serde_urlencoded::to_string(pairs).expect("string pairs always encode");
    format!("{app_url}{path}?{query}")
}

/// What every request about one forward carries in its URL, so its handler needs no database:
/// the caller's and business's numbers, the caller's CallSid, and whether the forward is screened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward<'a> {
    pub call_sid: &'a str,
    pub from: &'a Caller,
    pub to: &'a PhoneNumber,
    pub screened: bool,
}

impl Forward<'_> {
    fn query(&self) -> Vec<(&str, &str)> {
        let mut query = vec![
            ("origFrom", self.from.as_str()),
            ("origTo", self.to.as_str()),
            ("parentCallSid", self.call_sid),
        ];
        if self.screened {
            query.push(("screened", "1"));
        }
        query
    }
}

/// The Phase 2 URL Twilio calls when the forward ends. The caller's and business's numbers ride
/// along so Phase 2 can record and text the call even when Phase 1 could not reach the database.
/// `voicemail` is the number's greeting when it takes messages: `voicemail=1`, and the greeting
/// itself only when it is not the default, to keep the URL short (Twilio signs the whole URL, so
/// neither can be forged). `no_text`: the number's rules never text this caller (`notext=1`), so
/// Phase 2 promises no text.
pub fn dial_action_url(
    app_url: &str,
    from: &Caller,
    to: &PhoneNumber,
    screened: bool,
    no_text: bool,
    voicemail: Option<&str>,
) -> String {
    let mut query = vec![
        ("mode", "dial-result"),
        ("origFrom", from.as_str()),
        ("origTo", to.as_str()),
    ];
    if screened {
        query.push(("screened", "1"));
    }
    if no_text {
        query.push(("notext", "1"));
    }
    if let Some(greeting) = voicemail {
        query.push(("voicemail", "1"));
        if greeting != DEFAULT_VOICEMAIL_GREETING {
            query.push(("greeting", greeting));
        }
    }
    webhook_url(app_url, crate::routes::VOICE_WEBHOOK_PATH, &query)
}

/// The voicemail's `recordingStatusCallback`: the caller's and business's numbers ride along so the
/// recording can be stored (and the owner told) when Phase 1 could not record the call.
pub fn recording_status_url(app_url: &str, from: &Caller, to: &PhoneNumber) -> String {
    webhook_url(
        app_url,
        crate::routes::RECORDING_PATH,
        &[("origFrom", from.as_str()), ("origTo", to.as_str())],
    )
}

/// The voicemail's `<Record action>`: where Twilio goes when the message ends. Without it Twilio
/// would ask the current document's URL (Phase 2) again, without a DialCallStatus.
pub fn recording_done_url(app_url: &str) -> String {
    webhook_url(app_url, crate::routes::RECORDING_PATH, &[("step", "done")])
}

/// The forwarded leg's status callback (`answered` and `completed`).
pub fn dial_status_url(app_url: &str, forward: &Forward) -> String {
    webhook_url(app_url, crate::routes::DIAL_STATUS_PATH, &forward.query())
}

/// The screening TwiML Twilio runs on the callee's side before bridging; `business` names whom the
/// call is for, and `accept` makes it the URL of the key press.
pub fn screen_url(app_url: &str, forward: &Forward, business: &str, accept: bool) -> String {
    let mut query = forward.query();
    query.push(("business", business));
    if accept {
        query.push(("step", "accept"));
    }
    webhook_url(app_url, crate::routes::SCREEN_PATH, &query)
}

/// Phase 1's forward: the `<Number>` always reports its answer and end to `status_url`, and with
/// `screen_url` runs the screening TwiML before it is bridged.
pub fn dial(
    action_url: &str,
    timeout_secs: u32,
    forward_to: &PhoneNumber,
    status_url: &str,
    screen_url: Option<&str>,
) -> String {
    let screen = screen_url
        .map(|url| format!(r#" url="{}" method="POST""#, escape(url)))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="{}" method="POST" timeout="{timeout_secs}"><Number statusCallback="{}" statusCallbackEvent="answered completed" statusCallbackMethod="POST"{screen}>{}</Number></Dial></Response>"#,
        escape(action_url),
        escape(status_url),
        escape(forward_to.as_str())
    )
}

/// Screening: `message` to whoever picked up, one key within `timeout_secs` to take the call
/// (`accept_url`), else hang up, so voicemail or a declined call is never bridged.
pub fn screen(message: &str, accept_url: &str, timeout_secs: u32) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" timeout="{timeout_secs}" action="{}" method="POST"><Say>{}</Say></Gather><Hangup/></Response>"#,
        escape(accept_url),
        escape(message)
    )
}

/// A voicemail: the greeting, then a beep and up to `max_secs` of message, reported when done to
/// `status_url`; `done_url` answers what the caller hears after it.
pub fn record(greeting: &str, max_secs: u32, done_url: &str, status_url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>{}</Say><Record maxLength="{max_secs}" playBeep="true" trim="trim-silence" action="{}" method="POST" recordingStatusCallback="{}" recordingStatusCallbackEvent="completed" recordingStatusCallbackMethod="POST"/></Response>"#,
        escape(greeting),
        escape(done_url),
        escape(status_url)
    )
}

pub fn say_and_hang_up(message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>{}</Say><Hangup/></Response>"#,
        escape(message)
    )
}

pub fn empty() -> String {
    r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_url_is_sorted_and_encoded() {
        let url = dial_action_url(
            "https://x.example",
            &Caller::parse("+14155550123"),
            &PhoneNumber::parse("+14155559999").unwrap(),
            false,
            false,
            None,
        );
        assert_eq!(
            url,
            "https://x.example/api/webhooks/twilio/voice?mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559999"
        );
    }

    #[test]
    fn forward_urls_carry_the_call_sorted() {
        let (from, to) = (
            Caller::parse("+14155550123"),
            PhoneNumber::parse("+14155559999").unwrap(),
        );
        let forward = Forward {
            call_sid: "CA1",
            from: &from,
            to: &to,
            screened: true,
        };
        let app = "https://x.example";
        assert_eq!(
            dial_status_url(app, &forward),
            "https://x.example/api/webhooks/twilio/dial-status?origFrom=%2B14155550123&origTo=%2B14155559999&parentCallSid=CA1&screened=1"
        );
        assert_eq!(
            screen_url(app, &forward, "Joe's & Co", true),
            "https://x.example/api/webhooks/twilio/screen?business=Joe%27s+%26+Co&origFrom=%2B14155550123&origTo=%2B14155559999&parentCallSid=CA1&screened=1&step=accept"
        );
        assert!(dial_action_url(app, &from, &to, true, false, None).ends_with("&screened=1"));
        assert!(dial_action_url(app, &from, &to, false, true, None)
            .contains("?mode=dial-result&notext=1&origFrom="));
    }

    #[test]
    fn dial_escapes_the_action_url() {
        let forward = PhoneNumber::parse("+14155550100").unwrap();
        let xml = dial(
            "https://x.example/v?a=1&b=2",
            20,
            &forward,
            "https://s?c=1&d=2",
            None,
        );
        assert!(
            xml.contains(r#"action="https://x.example/v?a=1&amp;b=2""#),
            "{xml}"
        );
        assert!(xml.contains(r#"timeout="20""#));
        assert!(xml.contains(r#"statusCallback="https://s?c=1&amp;d=2""#));
        assert!(xml.contains(">+14155550100</Number>") && !xml.contains(" url="));
        let screened = dial(
            "https://a",
            20,
            &forward,
            "https://s",
            Some("https://q?x=1&y=2"),
        );
        assert!(screened.contains(r#" url="https://q?x=1&amp;y=2" method="POST">"#));
        let gather = screen("Call for <Joe>", "https://q?a=1&b=2", 8);
        assert!(gather.contains(r#"<Gather numDigits="1" timeout="8" action="https://q?a=1&amp;b=2" method="POST"><Say>Call for &lt;Joe&gt;</Say></Gather><Hangup/>"#));
    }

    #[test]
    fn a_voicemail_marker_carries_only_a_greeting_of_its_own() {
        let (from, to) = (
            Caller::parse("+14155550123"),
            PhoneNumber::parse("+14155559999").unwrap(),
        );
        let app = "https://x.example";
        assert_eq!(
            dial_action_url(app, &from, &to, false, false, Some(DEFAULT_VOICEMAIL_GREETING)),
            "https://x.example/api/webhooks/twilio/voice?mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559999&voicemail=1"
        );
        assert_eq!(
            dial_action_url(app, &from, &to, true, false, Some("Leave it & go")),
            "https://x.example/api/webhooks/twilio/voice?greeting=Leave+it+%26+go&mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559999&screened=1&voicemail=1"
        );
        assert_eq!(
            recording_status_url(app, &from, &to),
            "https://x.example/api/webhooks/twilio/recording?origFrom=%2B14155550123&origTo=%2B14155559999"
        );
        assert_eq!(
            recording_done_url(app),
            "https://x.example/api/webhooks/twilio/recording?step=done"
        );
    }

    #[test]
    fn record_greets_then_records_with_escaped_urls() {
        let xml = record(
            "Hi <there>",
            120,
            "https://d?step=done",
            "https://s?a=1&b=2",
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let verbs: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        assert_eq!(verbs.len(), 2, "{xml}");
        assert!(verbs[0].has_tag_name("Say"));
        assert_eq!(verbs[0].text(), Some("Hi <there>"));
        let record = verbs[1];
        assert!(record.has_tag_name("Record"));
        for (name, value) in [
            ("maxLength", "120"),
            ("playBeep", "true"),
            ("trim", "trim-silence"),
            ("action", "https://d?step=done"),
            ("method", "POST"),
            ("recordingStatusCallback", "https://s?a=1&b=2"),
            ("recordingStatusCallbackEvent", "completed"),
            ("recordingStatusCallbackMethod", "POST"),
        ] {
            assert_eq!(record.attribute(name), Some(value), "{name}: {xml}");
        }
    }

    #[test]
    fn say_escapes_text() {
        assert!(say_and_hang_up("Tom & Jerry's <shop>")
            .contains("<Say>Tom &amp; Jerry&apos;s &lt;shop&gt;</Say><Hangup/>"));
    }
}
