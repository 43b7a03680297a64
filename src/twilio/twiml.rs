//! TwiML answers. Everything interpolated is XML-escaped; the action URL's query is emitted in
//! alphabetical order because Twilio signs the order we hand it.
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

/// The Phase 2 URL Twilio calls when the forward ends. The caller's and business's numbers ride
/// along so Phase 2 can record and text the call even when Phase 1 could not reach the database.
pub fn dial_action_url(app_url: &str, from: &Caller, to: &PhoneNumber) -> String {
    let query = serde_urlencoded::to_string([
        ("mode", "dial-result"),
        ("origFrom", from.as_str()),
        ("origTo", to.as_str()),
    ])
    .expect("string pairs always encode");
    format!("{app_url}{}?{query}", crate::routes::VOICE_WEBHOOK_PATH)
}

pub fn dial(action_url: &str, timeout_secs: u32, forward_to: &PhoneNumber) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="{}" method="POST" timeout="{timeout_secs}"><Number>{}</Number></Dial></Response>"#,
        escape(action_url),
        escape(forward_to.as_str())
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
        );
        assert_eq!(
            url,
            "https://x.example/api/webhooks/twilio/voice?mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559999"
        );
    }

    #[test]
    fn dial_escapes_the_action_url() {
        let forward = PhoneNumber::parse("+14155550100").unwrap();
        let xml = dial("https://x.example/v?a=1&b=2", 20, &forward);
        assert!(
            xml.contains(r#"action="https://x.example/v?a=1&amp;b=2""#),
            "{xml}"
        );
        assert!(xml.contains(r#"timeout="20""#));
        assert!(xml.contains("<Number>+14155550100</Number>"));
    }

    #[test]
    fn say_escapes_text() {
        assert!(say_and_hang_up("Tom & Jerry's <shop>")
            .contains("<Say>Tom &amp; Jerry&apos;s &lt;shop&gt;</Say><Hangup/>"));
    }
}
