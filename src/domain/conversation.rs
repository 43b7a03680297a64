//! Texts to a business number, and what each one is: an opt-out keyword (matched as Twilio matches
//! them), a reply from a lead to forward to the owner, or the owner answering a lead from their own
//! phone. Pure: the inbound-SMS webhook reads the message once (`InboundSms::read`), decides here,
//! and does the I/O.
use super::business::MAX_SMS_CHARS;
use super::message_status::message_sid_param;
use super::{Caller, PhoneNumber};

/// Twilio's default opt-out keywords on long codes.
const OPT_OUT: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const OPT_IN: [&str; 3] = ["START", "UNSTOP", "YES"];
const HELP: [&str; 2] = ["HELP", "INFO"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

/// The keyword an SMS is, if any: Twilio's `OptOutType` when it sent one (Advanced Opt-Out), else
/// the whole message, trimmed, in any case, as Twilio matches them. "Stop calling me" is a reply,
/// not a keyword.
pub fn keyword(body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
    let word = match opt_out_type.map(str::trim).filter(|t| !t.is_empty()) {
        Some(kind) => kind.to_ascii_uppercase(),
        None => body.trim().to_ascii_uppercase(),
    };
    if OPT_OUT.contains(&word.as_str()) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(Keyword::OptIn)
    } else if HELP.contains(&word.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

/// An SMS to a business number, read once from the messaging webhook's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: String,
    /// A short code or an alphanumeric sender is withheld: nobody to forward or answer.
    pub from: Caller,
    pub to: PhoneNumber,
    pub body: String,
    /// The first attachment of an MMS.
    pub media_url: Option<String>,
    pub keyword: Option<Keyword>,
}

impl InboundSms {
    pub fn read(
        message_sid: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        body: Option<&str>,
        media_url: Option<&str>,
        opt_out_type: Option<&str>,
    ) -> Result<InboundSms, String> {
        let message_sid = message_sid_param(message_sid)?;
        let to = PhoneNumber::parse(to.unwrap_or_default()).map_err(|e| format!("To: {e}"))?;
        let from = from.map(str::trim).filter(|f| !f.is_empty());
        let from = Caller::parse(from.ok_or("missing form parameter From")?);
        let body = body.unwrap_or_default().to_string();
        Ok(InboundSms {
            message_sid,
            from,
            to,
            keyword: keyword(&body, opt_out_type),
            body,
            media_url: media_url
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
        })
    }
}

/// The owner's answer: to the lead its leading `+E164` names, or (None) to the lead who most
/// recently wrote; `text` is what the lead gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerAnswer {
    pub to: Option<PhoneNumber>,
    pub text: String,
}

/// Reads the owner's message: `+14155550123 See you Tuesday` goes to that number, anything else
/// to the lead who wrote last.
pub fn owner_answer(body: &str) -> OwnerAnswer {
    let trimmed = body.trim();
    let (first, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    match PhoneNumber::parse(first) {
        Ok(lead) if first.starts_with('+') => OwnerAnswer {
            to: Some(lead),
            text: rest.trim().to_string(),
        },
        _ => OwnerAnswer {
            to: None,
            text: trimmed.to_string(),
        },
    }
}

/// The text the owner gets for a lead's reply: who wrote (in full, so the owner can call back),
/// to which business, their last call (`missed call Nov 25, 2:14 PM UTC`), what they wrote, and
/// the first attachment. Long replies are cut to fit one Twilio message (UTF-16 units, as Twilio
/// counts).
pub fn reply_for_owner(
    lead: &PhoneNumber,
    business_name: &str,
    last_call: Option<&str>,
    body: &str,
    media_url: Option<&str>,
) -> String {
    let head = format!(
        "Reply from {lead} to {business_name} ({}): ",
        last_call.unwrap_or("no recent call")
    );
    let tail = media_url.map_or(String::new(), |url| format!(" [media attached: {url}]"));
    let units = |text: &str| text.encode_utf16().count();
    let room = MAX_SMS_CHARS.saturating_sub(units(&head) + units(&tail) + 2);
    let quoted = if units(body) > room {
        let mut cut = String::new();
        let mut used = 1; // the ellipsis
        for c in body.chars() {
            if used + c.len_utf16() > room {
                break;
            }
            used += c.len_utf16();
            cut.push(c);
        }
        format!("{cut}…")
    } else {
        body.to_string()
    };
    format!("{head}\"{quoted}\"{tail}")
}

/// The owner answered, but nobody has written to the number yet and no lead was named.
pub fn no_lead_yet(business_name: &str) -> String {
    format!(
        "Nobody has replied to {business_name}'s texts yet, so your message was not sent. To text a \
         caller, start with their number: +14155550123 Thanks for calling!"
    )
}

/// The owner named a number that has neither called nor texted the business: nothing is sent, so
/// the business number never texts strangers (a typo, or a forged sender).
pub fn stranger(named: &PhoneNumber, business_name: &str) -> String {
    format!(
        "{named} has not called or texted {business_name}, so your message was not sent to them."
    )
}

/// The owner answered a lead who has opted out of the number's texts.
pub fn lead_opted_out(lead: &PhoneNumber) -> String {
    format!("{lead} has opted out of texts from this number (STOP): your message was not sent.")
}

/// The owner named a lead but wrote nothing to send.
pub const NOTHING_TO_SEND: &str =
    "Your message had a number but no text after it, so nothing was sent.";

#[cfg(test)]
mod tests {
    use super::*;

    fn number(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).unwrap()
    }

    #[test]
    fn keywords_are_the_whole_message_in_any_case() {
        for stop in [
            "STOP",
            " stop ",
            "Stop\n",
            "stopall",
            "UNSUBSCRIBE",
            "cancel",
            "End",
            "quit",
            "revoke",
            "optout",
        ] {
            assert_eq!(keyword(stop, None), Some(Keyword::OptOut), "{stop:?}");
        }
        for start in ["START", "unstop", "Yes"] {
            assert_eq!(keyword(start, None), Some(Keyword::OptIn), "{start:?}");
        }
        for help in ["HELP", "info"] {
            assert_eq!(keyword(help, None), Some(Keyword::Help), "{help:?}");
        }
        for reply in [
            "Stop calling me",
            "yes please",
            "STOP.",
            "",
            "Can you come Tuesday?",
        ] {
            assert_eq!(keyword(reply, None), None, "{reply:?}");
        }
    }

    #[test]
    fn twilios_opt_out_type_decides_when_present() {
        assert_eq!(keyword("Arrêt", Some("STOP")), Some(Keyword::OptOut));
        assert_eq!(keyword("whatever", Some("start")), Some(Keyword::OptIn));
        assert_eq!(keyword("?", Some("HELP")), Some(Keyword::Help));
        assert_eq!(keyword("STOP", Some("")), Some(Keyword::OptOut));
    }

    #[test]
    fn reads_the_messaging_webhook() {
        let sid = "SM0123456789abcdef0123456789abcdef";
        let sms = InboundSms::read(
            Some(sid),
            Some("+14155550123"),
            Some("+14155559000"),
            Some("Can you come Tuesday?"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(sms.from.textable(), Some(&number("+14155550123")));
        assert_eq!(sms.keyword, None);
        let short_code = InboundSms::read(
            Some(sid),
            Some("22395"),
            Some("+14155559000"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(short_code.from.textable(), None);
        assert_eq!(short_code.body, "");
        for (sid, from, to, field) in [
            (
                None,
                Some("+14155550123"),
                Some("+14155559000"),
                "MessageSid",
            ),
            (Some(sid), None, Some("+14155559000"), "From"),
            (Some(sid), Some("+14155550123"), Some("9000"), "To"),
        ] {
            let error = InboundSms::read(sid, from, to, Some("hi"), None, None).unwrap_err();
            assert!(error.contains(field), "{error} should name {field}");
        }
    }

    #[test]
    fn the_owner_names_a_lead_with_a_leading_number() {
        assert_eq!(
            owner_answer("+14155550123  See you Tuesday at 9"),
            OwnerAnswer {
                to: Some(number("+14155550123")),
                text: "See you Tuesday at 9".into()
            }
        );
        assert_eq!(
            owner_answer(" On my way! "),
            OwnerAnswer {
                to: None,
                text: "On my way!".into()
            }
        );
        // Only a leading E.164 number addresses: a number later on is part of the text.
        assert_eq!(owner_answer("Call 14155550123").to, None);
        assert_eq!(owner_answer("+1 is not a number").to, None);
        assert_eq!(
            owner_answer("+14155550123"),
            OwnerAnswer {
                to: Some(number("+14155550123")),
                text: String::new()
            }
        );
    }

    #[test]
    fn the_owner_gets_the_callers_full_number_and_words() {
        let lead = number("+14155550123");
        assert_eq!(
            reply_for_owner(&lead, "Joe's Plumbing", Some("missed call Nov 25, 2:14 PM UTC"), "Can you come Tuesday?", None),
            "Reply from +14155550123 to Joe's Plumbing (missed call Nov 25, 2:14 PM UTC): \"Can you come Tuesday?\""
        );
        assert_eq!(
            reply_for_owner(&lead, "Joe's", None, "", Some("https://api.twilio.com/m/ME1")),
            "Reply from +14155550123 to Joe's (no recent call): \"\" [media attached: https://api.twilio.com/m/ME1]"
        );
        let long = "x".repeat(MAX_SMS_CHARS);
        let relayed = reply_for_owner(&lead, "Joe's", None, &long, None);
        assert!(
            relayed.chars().count() <= MAX_SMS_CHARS,
            "{}",
            relayed.len()
        );
        assert!(relayed.ends_with("…\""));
    }
}
