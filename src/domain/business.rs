//! A business's published Twilio number and what to do with calls to it.
use crate::domain::hours::{self, Clock, Quiet, Week};
use crate::domain::{calling_codes, PhoneNumber};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT_TEMPLATE: &str = "Sorry we missed your call at {business_name}! We'll get back to you as soon as we can, or reply here to tell us how we can help. Reply STOP to opt out.";
pub const DEFAULT_DIAL_TIMEOUT_SECS: u32 = 20;
pub const DIAL_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 5..=600;
/// Long enough for a friendly note, short enough to stay within a few SMS segments.
pub const MAX_TEMPLATE_CHARS: usize = 480;
pub const MAX_NAME_CHARS: usize = 100;
/// Twilio refuses a body longer than this (error 21617), counted here in UTF-16 code units, which
/// is never fewer than the characters Twilio counts.
pub const MAX_SMS_CHARS: usize = 1600;
const PLACEHOLDERS: &[&str] = &["business_name"];
/// The after-hours text may also say when the business opens again.
const AFTER_HOURS_PLACEHOLDERS: &[&str] = &["business_name", "next_open"];
/// The longest `{next_open}` renders to ("Wednesday at 12:30 PM"), with room to spare.
const LONGEST_NEXT_OPEN: usize = 30;
pub const DEFAULT_COOLDOWN_HOURS: u32 = 12;
pub const COOLDOWN_RANGE: std::ops::RangeInclusive<u32> = 0..=168;
pub const DEFAULT_DAILY_TEXT_LIMIT: u32 = 200;
pub const DAILY_TEXT_LIMIT_RANGE: std::ops::RangeInclusive<u32> = 0..=100_000;
/// More than any business blocks by hand; the list is read with every claim.
pub const MAX_BLOCKED_CALLERS: usize = 1000;
pub const DEFAULT_VOICEMAIL_GREETING: &str =
    "Sorry we missed you. Please leave a message after the tone, and we will text you shortly.";
pub const MAX_GREETING_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusinessNumber {
    pub twilio_number: PhoneNumber,
    pub forward_to: PhoneNumber,
    pub business_name: String,
    pub sms_template: String,
    pub dial_timeout_secs: u32,
    pub enabled: bool,
    /// Whoever picks up the forward must press a key before the call is bridged, so carrier
    /// voicemail, a declined call or a phone that is off is not taken for an answer.
    pub screen_calls: bool,
    /// Where leads' replies are forwarded, when not to `forward_to`.
    pub notify_to: Option<PhoneNumber>,
    /// Who gets a text and when (`crate::rules` decides from these).
    #[serde(flatten)]
    pub rules: TextRules,
    /// After a missed forward the caller may leave a message (`<Record>`), announced by the greeting.
    pub voicemail: bool,
    pub voicemail_greeting: String,
    /// The owner's phone gets a heads-up for each missed call and each voicemail.
    pub notify_owner: bool,
}

/// The rules that decide whether a missed call's caller is texted, and with which words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextRules {
    /// A caller texted by this number within this many hours is not texted again (0: off).
    pub cooldown_hours: u32,
    pub blocked_callers: Vec<PhoneNumber>,
    /// Country calling codes whose callers may be texted.
    pub allowed_calling_codes: Vec<String>,
    /// Texts per number per day in `timezone`.
    pub daily_text_limit: u32,
    /// Ask Twilio Lookup for the caller's line type and do not text a landline.
    pub skip_landlines: bool,
    /// The IANA time zone the hours are in.
    pub timezone: String,
    /// `mon` … `sun` to ranges such as `"09:00-12:00,13:00-17:30"`; a day absent is closed; None:
    /// always open.
    pub business_hours: Option<BTreeMap<String, String>>,
    /// The text outside business hours (`{business_name}`, `{next_open}`); None: `sms_template`.
    pub after_hours_template: Option<String>,
    /// Local hours such as `"21:00-08:00"` in which no text goes out.
    pub quiet_hours: Option<String>,
    pub quiet_hours_action: QuietAction,
}

impl TextRules {
    /// The number's clock, read from the settings (validated when they were saved).
    pub fn clock(&self) -> Result<Clock, String> {
        Ok(Clock {
            tz: hours::parse_timezone(&self.timezone)?,
            week: self.business_hours.as_ref().map(Week::parse).transpose()?,
            quiet: self.quiet_hours.as_deref().map(Quiet::parse).transpose()?,
        })
    }
}

/// What becomes of a text due in quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuietAction {
    /// It waits, and goes out when quiet hours end.
    Defer,
    /// It is not sent (outcome `quiet_hours`).
    Skip,
}

impl QuietAction {
    pub fn as_str(self) -> &'static str {
        match self {
            QuietAction::Defer => "defer",
            QuietAction::Skip => "skip",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "defer" => Ok(QuietAction::Defer),
            "skip" => Ok(QuietAction::Skip),
            other => Err(format!("must be \"defer\" or \"skip\", not {other:?}")),
        }
    }
}

impl BusinessNumber {
    /// The phone leads' replies go to.
    pub fn owner_phone(&self) -> &PhoneNumber {
        self.notify_to.as_ref().unwrap_or(&self.forward_to)
    }

    /// Whether `phone` is one of the business's own phones, from which the owner answers leads.
    pub fn is_owner(&self, phone: &PhoneNumber) -> bool {
        *phone == self.forward_to || self.notify_to.as_ref() == Some(phone)
    }
}

/// The admin API's `PUT` body; the Twilio number comes from the path.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessNumberInput {
    pub forward_to: String,
    pub business_name: String,
    pub sms_template: Option<String>,
    pub dial_timeout_secs: Option<u32>,
    pub enabled: Option<bool>,
    pub screen_calls: Option<bool>,
    pub notify_to: Option<String>,
    pub cooldown_hours: Option<u32>,
    pub blocked_callers: Option<Vec<String>>,
    pub allowed_calling_codes: Option<Vec<String>>,
    pub daily_text_limit: Option<u32>,
    pub skip_landlines: Option<bool>,
    pub timezone: Option<String>,
    pub business_hours: Option<BTreeMap<String, String>>,
    pub after_hours_template: Option<String>,
    pub quiet_hours: Option<String>,
    pub quiet_hours_action: Option<String>,
    pub voicemail: Option<bool>,
    pub voicemail_greeting: Option<String>,
    pub notify_owner: Option<bool>,
}

impl BusinessNumberInput {
    /// The admin API's `PUT` body for `twilio_number`, read and validated; the error names the
    /// field, or says the body is not a definition at all.
    pub fn from_json(body: &str, twilio_number: &PhoneNumber) -> Result<BusinessNumber, String> {
        serde_json::from_str::<BusinessNumberInput>(body)
            .map_err(|e| format!("body is not a valid number definition: {e}"))?
            .validate(twilio_number.as_str())
    }

    /// The admin API's `PUT` body, which may also ask with `"sync": true` (default false) for the
    /// number to be pointed at this deployment once saved: that is no setting of the number, so it
    /// is taken out and the rest read as by `from_json`.
    pub fn from_put_json(
        body: &str,
        twilio_number: &PhoneNumber,
    ) -> Result<(BusinessNumber, bool), String> {
        let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body)
            .map_err(|e| format!("body is not a valid number definition: {e}"))?;
        let sync = match fields.remove("sync") {
            None => false,
            Some(serde_json::Value::Bool(sync)) => sync,
            Some(other) => return Err(format!("sync: must be true or false, not {other}")),
        };
        let definition = serde_json::Value::Object(fields).to_string();
        Ok((Self::from_json(&definition, twilio_number)?, sync))
    }

    pub fn validate(self, twilio_number: &str) -> Result<BusinessNumber, String> {
        let twilio_number =
            PhoneNumber::parse(twilio_number).map_err(|e| format!("twilio_number: {e}"))?;
        let forward_to =
            PhoneNumber::parse(&self.forward_to).map_err(|e| format!("forward_to: {e}"))?;
        if forward_to == twilio_number {
            return Err(
                "forward_to: must differ from the Twilio number, or the call rings itself".into(),
            );
        }
        let business_name = self.business_name.trim().to_string();
        if business_name.is_empty() || business_name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "business_name: must be 1 to {MAX_NAME_CHARS} characters"
            ));
        }
        spoken(&business_name).map_err(|e| format!("business_name: {e}"))?;
        let sms_template = self
            .sms_template
            .unwrap_or_else(|| DEFAULT_TEMPLATE.to_string());
        validate_template(&sms_template, PLACEHOLDERS, &business_name)
            .map_err(|e| format!("sms_template: {e}"))?;
        let after_hours_template = match self.after_hours_template {
            Some(template) if !template.trim().is_empty() => {
                validate_template(&template, AFTER_HOURS_PLACEHOLDERS, &business_name)
                    .map_err(|e| format!("after_hours_template: {e}"))?;
                Some(template)
            }
            _ => None,
        };
        let notify_to = match self.notify_to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => {
                let phone = PhoneNumber::parse(raw).map_err(|e| format!("notify_to: {e}"))?;
                if phone == twilio_number {
                    return Err(
                        "notify_to: must differ from the Twilio number, which cannot text itself"
                            .into(),
                    );
                }
                Some(phone)
            }
        };
        let dial_timeout_secs = self.dial_timeout_secs.unwrap_or(DEFAULT_DIAL_TIMEOUT_SECS);
        if !DIAL_TIMEOUT_RANGE.contains(&dial_timeout_secs) {
            return Err(format!(
                "dial_timeout_secs: {dial_timeout_secs} is outside {}..={} (Twilio's <Dial timeout> range)",
                DIAL_TIMEOUT_RANGE.start(),
                DIAL_TIMEOUT_RANGE.end()
            ));
        }
        let cooldown_hours = self.cooldown_hours.unwrap_or(DEFAULT_COOLDOWN_HOURS);
        if !COOLDOWN_RANGE.contains(&cooldown_hours) {
            return Err(format!(
                "cooldown_hours: {cooldown_hours} is outside 0..=168 (0 turns the cooldown off)"
            ));
        }
        let daily_text_limit = self.daily_text_limit.unwrap_or(DEFAULT_DAILY_TEXT_LIMIT);
        if !DAILY_TEXT_LIMIT_RANGE.contains(&daily_text_limit) {
            return Err(format!(
                "daily_text_limit: {daily_text_limit} is outside 0..={}",
                DAILY_TEXT_LIMIT_RANGE.end()
            ));
        }
        let blocked_callers = self.blocked_callers.unwrap_or_default();
        if blocked_callers.len() > MAX_BLOCKED_CALLERS {
            return Err(format!(
                "blocked_callers: at most {MAX_BLOCKED_CALLERS} numbers"
            ));
        }
        let mut blocked_callers = blocked_callers
            .iter()
            .map(|raw| PhoneNumber::parse(raw.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("blocked_callers: {e}"))?;
        blocked_callers.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        blocked_callers.dedup();
        let allowed_calling_codes = match self.allowed_calling_codes {
            None => default_calling_codes(&twilio_number),
            Some(codes) if codes.is_empty() => {
                return Err(
                    "allowed_calling_codes: must name at least one country calling code \
                     (set enabled to false to stop texting)"
                        .into(),
                )
            }
            Some(codes) => {
                let mut codes = codes
                    .iter()
                    .map(|raw| calling_codes::parse(raw))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("allowed_calling_codes: {e}"))?;
                codes.sort();
                codes.dedup();
                codes
            }
        };
        let quiet_hours_action = match self.quiet_hours_action.as_deref() {
            None => QuietAction::Defer,
            Some(raw) => QuietAction::parse(raw).map_err(|e| format!("quiet_hours_action: {e}"))?,
        };
        let voicemail_greeting = match self.voicemail_greeting.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_VOICEMAIL_GREETING.to_string(),
            Some(greeting) if greeting.chars().count() > MAX_GREETING_CHARS => {
                return Err(format!(
                    "voicemail_greeting: must be at most {MAX_GREETING_CHARS} characters"
                ))
            }
            Some(greeting) => {
                spoken(greeting).map_err(|e| format!("voicemail_greeting: {e}"))?;
                greeting.to_string()
            }
        };
        let timezone = hours::parse_timezone(self.timezone.as_deref().unwrap_or("UTC"))
            .map_err(|e| format!("timezone: {e}"))?;
        let business_hours = self
            .business_hours
            .map(|days| Week::parse(&days).map(|week| week.to_settings()))
            .transpose()
            .map_err(|e| format!("business_hours: {e}"))?;
        let quiet_hours = match self.quiet_hours.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                Quiet::parse(raw)
                    .map_err(|e| format!("quiet_hours: {e}"))?
                    .to_settings(),
            ),
        };
        let rules = TextRules {
            cooldown_hours,
            blocked_callers,
            allowed_calling_codes,
            daily_text_limit,
            skip_landlines: self.skip_landlines.unwrap_or(false),
            timezone: timezone.iana_name().unwrap_or("UTC").to_string(),
            business_hours,
            after_hours_template,
            quiet_hours,
            quiet_hours_action,
        };
        Ok(BusinessNumber {
            twilio_number,
            forward_to,
            business_name,
            sms_template,
            dial_timeout_secs,
            enabled: self.enabled.unwrap_or(true),
            screen_calls: self.screen_calls.unwrap_or(false),
            notify_to,
            rules,
            voicemail: self.voicemail.unwrap_or(false),
            voicemail_greeting,
            notify_owner: self.notify_owner.unwrap_or(false),
        })
    }
}

/// Text that is spoken in TwiML (`<Say>`): XML cannot carry control characters, escaped or not, so
/// one would make Twilio fail the caller's call.
fn spoken(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            c as u32
        )),
        None => Ok(()),
    }
}

/// The countries a number texts when its settings name none: its own.
pub fn default_calling_codes(twilio_number: &PhoneNumber) -> Vec<String> {
    calling_codes::of(twilio_number)
        .map(|code| vec![code.to_string()])
        .unwrap_or_default()
}

/// Checks a template's length and placeholders, and that it renders, with the longest business name
/// and `{next_open}`, to a text Twilio accepts.
fn validate_template(template: &str, placeholders: &[&str], name: &str) -> Result<(), String> {
    check_placeholders(template, placeholders)?;
    let longest_text = [name.to_string(), "W".repeat(MAX_NAME_CHARS)]
        .iter()
        .map(|name| {
            render_sms(template, name, &"W".repeat(LONGEST_NEXT_OPEN))
                .encode_utf16()
                .count()
        })
        .max()
        .unwrap_or(0);
    if longest_text > MAX_SMS_CHARS {
        return Err(format!(
            "renders to {longest_text} characters with a business name of {MAX_NAME_CHARS}; \
             Twilio refuses texts over {MAX_SMS_CHARS} (error 21617), so use the placeholders \
             fewer times"
        ));
    }
    Ok(())
}

fn check_placeholders(template: &str, placeholders: &[&str]) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if template.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(format!("must be at most {MAX_TEMPLATE_CHARS} characters"));
    }
    let mut open: Option<usize> = None;
    for (at, c) in template.char_indices() {
        match (c, open) {
            ('{', None) => open = Some(at),
            ('{', Some(_)) => return Err("has a '{' inside a placeholder".into()),
            ('}', None) => return Err("has a '}' without an opening '{'".into()),
            ('}', Some(start)) => {
                let name = &template[start + 1..at];
                if !placeholders.contains(&name) {
                    let available: Vec<String> =
                        placeholders.iter().map(|p| format!("{{{p}}}")).collect();
                    return Err(format!(
                        "unknown placeholder {{{name}}}; available: {}",
                        available.join(", ")
                    ));
                }
                open = None;
            }
            _ => {}
        }
    }
    if open.is_some() {
        return Err("has a '{' without a closing '}'".into());
    }
    Ok(())
}

/// The opt-out footer every missed-call text carries, unless its template already mentions STOP:
/// carriers expect opt-out instructions in a business's first text, and a template edited without
/// them must not send texts that lack them.
pub const OPT_OUT_FOOTER: &str = "Reply STOP to opt out.";

/// The missed-call text: the template with its placeholders filled, and the opt-out footer.
pub fn render_sms(template: &str, business_name: &str, next_open: &str) -> String {
    let text = template
        .replace("{business_name}", business_name)
        .replace("{next_open}", next_open);
    if mentions_stop(template) {
        text
    } else {
        format!("{} {OPT_OUT_FOOTER}", text.trim_end())
    }
}

/// Whether `template` tells the reader about the STOP keyword: the word in capitals, as opt-out
/// instructions write it. "Stop by our shop" or "non-stop service" instruct nobody.
fn mentions_stop(template: &str) -> bool {
    template
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word == "STOP")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BusinessNumberInput {
        BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's Plumbing".into(),
            sms_template: None,
            dial_timeout_secs: None,
            enabled: None,
            ..Default::default()
        }
    }

    #[test]
    fn the_opt_out_footer_is_added_exactly_once() {
        let footer = |template: &str| render_sms(template, "Joe's", "");
        assert_eq!(
            footer("Sorry we missed you at {business_name}."),
            "Sorry we missed you at Joe's. Reply STOP to opt out."
        );
        assert_eq!(
            footer("Missed you!  \n"),
            "Missed you! Reply STOP to opt out."
        );
        for has_it in ["Sorry! Reply STOP to opt out.", "Text STOP to unsubscribe."] {
            assert_eq!(footer(has_it), has_it, "{has_it}");
        }
        // Words that are not opt-out instructions.
        for lacks_it in [
            "Stop by our shop!",
            "24/7 non-stop service",
            "Non-stopping service",
            "text stop",
        ] {
            assert!(footer(lacks_it).ends_with(OPT_OUT_FOOTER), "{lacks_it}");
        }
        assert_eq!(footer(DEFAULT_TEMPLATE).matches("STOP").count(), 1);
    }

    #[test]
    fn notify_to_is_optional_and_checked() {
        let number = input().validate("+14155559999").unwrap();
        assert_eq!(number.notify_to, None);
        assert_eq!(number.owner_phone().as_str(), "+14155550100");
        let with = BusinessNumberInput {
            notify_to: Some("+14155550111".into()),
            ..input()
        }
        .validate("+14155559999")
        .unwrap();
        assert_eq!(with.owner_phone().as_str(), "+14155550111");
        for owner in ["+14155550111", "+14155550100"] {
            assert!(
                with.is_owner(&PhoneNumber::parse(owner).unwrap()),
                "{owner}"
            );
        }
        assert!(!with.is_owner(&PhoneNumber::parse("+14155550123").unwrap()));
        for (bad, why) in [
            ("555", "notify_to"),
            ("+14155559999", "notify_to: must differ"),
        ] {
            let error = BusinessNumberInput {
                notify_to: Some(bad.into()),
                ..input()
            }
            .validate("+14155559999")
            .unwrap_err();
            assert!(error.starts_with(why), "{error}");
        }
    }

    #[test]
    fn defaults_fill_in() {
        let number = input().validate("+14155559999").unwrap();
        assert_eq!(number.dial_timeout_secs, 20);
        assert!(number.enabled);
        let text = render_sms(&number.sms_template, &number.business_name, "");
        assert!(
            text.starts_with("Sorry we missed your call at Joe's Plumbing"),
            "{text}"
        );
        assert!(text.ends_with("Reply STOP to opt out."));
    }

    #[test]
    fn rejects_bad_input_with_the_field_named() {
        let cases: Vec<(BusinessNumberInput, &str, &str)> = vec![
            (input(), "4155559999", "twilio_number"),
            (
                BusinessNumberInput {
                    forward_to: "555".into(),
                    ..input()
                },
                "+14155559999",
                "forward_to",
            ),
            (input(), "+14155550100", "forward_to"),
            (
                BusinessNumberInput {
                    business_name: " ".into(),
                    ..input()
                },
                "+14155559999",
                "business_name",
            ),
            (
                BusinessNumberInput {
                    business_name: "Joe\u{7}s".into(),
                    ..input()
                },
                "+14155559999",
                "business_name: must not contain control characters (found U+0007)",
            ),
            (
                BusinessNumberInput {
                    voicemail_greeting: Some("Hello\u{0}".into()),
                    ..input()
                },
                "+14155559999",
                "voicemail_greeting: must not contain control characters",
            ),
            (
                BusinessNumberInput {
                    dial_timeout_secs: Some(4),
                    ..input()
                },
                "+14155559999",
                "dial_timeout_secs",
            ),
            (
                BusinessNumberInput {
                    dial_timeout_secs: Some(601),
                    ..input()
                },
                "+14155559999",
                "dial_timeout_secs",
            ),
            (
                BusinessNumberInput {
                    sms_template: Some("Hi {name}".into()),
                    ..input()
                },
                "+14155559999",
                "unknown placeholder {name}",
            ),
            (
                BusinessNumberInput {
                    sms_template: Some("Hi {business_name".into()),
                    ..input()
                },
                "+14155559999",
                "without a closing",
            ),
            (
                BusinessNumberInput {
                    sms_template: Some("Hi business_name}".into()),
                    ..input()
                },
                "+14155559999",
                "without an opening",
            ),
            (
                BusinessNumberInput {
                    sms_template: Some("x".repeat(481)),
                    ..input()
                },
                "+14155559999",
                "at most 480",
            ),
            (
                BusinessNumberInput {
                    sms_template: Some("{business_name} ".repeat(17)),
                    ..input()
                },
                "+14155559999",
                "renders to 1739 characters",
            ),
        ];
        for (input, number, expected) in cases {
            let error = input.validate(number).unwrap_err();
            assert!(
                error.contains(expected),
                "{error:?} should mention {expected:?}"
            );
        }
    }

    #[test]
    fn reads_a_json_definition() {
        let number = PhoneNumber::parse("+14155559999").unwrap();
        let valid = BusinessNumberInput::from_json(
            r#"{"forward_to": "+14155550100", "business_name": "Joe's"}"#,
            &number,
        )
        .unwrap();
        assert_eq!(valid.twilio_number, number);
        for (body, expected) in [
            ("{not json", "body is not a valid number definition"),
            (
                r#"{"business_name": "Joe's"}"#,
                "missing field `forward_to`",
            ),
            (
                r#"{"forward_to": "+14155550100", "business_name": "J", "colour": 1}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"forward_to": "555", "business_name": "Joe's"}"#,
                "forward_to:",
            ),
        ] {
            let error = BusinessNumberInput::from_json(body, &number).unwrap_err();
            assert!(
                error.contains(expected),
                "{error:?} should say {expected:?}"
            );
        }
    }

    #[test]
    fn a_put_body_may_ask_for_a_sync() {
        let number = PhoneNumber::parse("+14155559999").unwrap();
        let definition = r#""forward_to": "+14155550100", "business_name": "Joe's""#;
        for (body, sync) in [
            (format!("{{{definition}}}"), false),
            (format!(r#"{{{definition}, "sync": false}}"#), false),
            (format!(r#"{{"sync": true, {definition}}}"#), true),
        ] {
            let (read, asked) = BusinessNumberInput::from_put_json(&body, &number).unwrap();
            assert_eq!(asked, sync, "{body}");
            assert_eq!(read.business_name, "Joe's");
        }
        for (body, expected) in [
            (
                "{not json".to_string(),
                "body is not a valid number definition",
            ),
            ("[]".to_string(), "body is not a valid number definition"),
            (
                format!(r#"{{{definition}, "sync": "yes"}}"#),
                r#"sync: must be true or false, not "yes""#,
            ),
            (
                format!(r#"{{{definition}, "sync": true, "colour": 1}}"#),
                "unknown field `colour`",
            ),
            (
                r#"{"sync": true}"#.to_string(),
                "missing field `forward_to`",
            ),
        ] {
            let error = BusinessNumberInput::from_put_json(&body, &number).unwrap_err();
            assert!(
                error.contains(expected),
                "{error:?} should say {expected:?}"
            );
        }
    }

    #[test]
    fn accepts_boundaries() {
        for secs in [5, 600] {
            let number = BusinessNumberInput {
                dial_timeout_secs: Some(secs),
                ..input()
            }
            .validate("+14155559999");
            assert_eq!(number.unwrap().dial_timeout_secs, secs);
        }
        // 15 mentions of the longest name still fit in one Twilio message.
        let most = BusinessNumberInput {
            sms_template: Some("{business_name} ".repeat(15)),
            business_name: "N".repeat(MAX_NAME_CHARS),
            ..input()
        };
        let number = most.validate("+14155559999").unwrap();
        let text = render_sms(&number.sms_template, &number.business_name, "");
        assert!(text.chars().count() <= MAX_SMS_CHARS);
        let custom = BusinessNumberInput {
            sms_template: Some("{business_name}: call you back soon".into()),
            ..input()
        };
        assert!(custom.validate("+14155559999").is_ok());
    }
}
