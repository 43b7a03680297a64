//! Numbers point themselves at the deployment, so nobody clicks through Twilio's console: what
//! `POST /api/admin/numbers/{e164}/sync` (and a `PUT` with `"sync": true`) changes on a Twilio
//! number is decided by `plan`, a pure function of what IncomingPhoneNumbers shows and what this
//! deployment wants; `sync` makes the two requests it takes (find the number, update it only when
//! something differs).
use crate::config::TwilioConfig;
use crate::domain::PhoneNumber;
use crate::http::HttpClient;
use crate::routes::{SMS_WEBHOOK_PATH, VOICE_WEBHOOK_PATH};
use crate::twilio::rest::{self, Failure, IncomingNumber};
use std::fmt;

/// How Twilio requests both webhooks: the worker reads form bodies, which Twilio signs.
pub const WEBHOOK_METHOD: &str = "POST";

/// Where a number's calls and texts should go: this deployment's voice and inbound-SMS webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhooks {
    pub voice_url: String,
    pub sms_url: String,
}

impl Webhooks {
    /// The webhooks of the deployment at `app_url` (`APP_URL`: no trailing slash).
    pub fn at(app_url: &str) -> Webhooks {
        Webhooks {
            voice_url: format!("{app_url}{VOICE_WEBHOOK_PATH}"),
            sms_url: format!("{app_url}{SMS_WEBHOOK_PATH}"),
        }
    }
}

/// One field a sync changes, by Twilio's name for it (`voice_url` …): what it was, what it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: &'static str,
    pub from: Option<String>,
    pub to: String,
}

/// A setting that takes the number's calls or texts away from the URLs: while it is set, Twilio
/// ignores the URL a sync would write, so a sync refuses rather than seem to succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Twilio's name for it: `voice_application_sid`, `sms_application_sid` or `trunk_sid`.
    pub field: &'static str,
    pub value: String,
    /// Where the calls or texts go instead.
    goes_to: &'static str,
    /// The URL parameter Twilio ignores meanwhile.
    ignored: &'static str,
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {}: {}, and Twilio ignores {} while it is set",
            self.field, self.value, self.goes_to, self.ignored
        )
    }
}

/// What must change for `number` to send its calls and texts to `wanted`, in Twilio's field order
/// (none when it already does); or every setting that would make Twilio ignore the URLs, in which
/// case nothing is to change at all: a number half pointed here is harder to understand than one
/// left as it was.
pub fn plan(number: &IncomingNumber, wanted: &Webhooks) -> Result<Vec<Change>, Vec<Override>> {
    let overrides: Vec<Override> = [
        (
            "voice_application_sid",
            &number.voice_application_sid,
            "calls go to that TwiML App",
            "VoiceUrl",
        ),
        (
            "sms_application_sid",
            &number.sms_application_sid,
            "texts go to that TwiML App",
            "SmsUrl",
        ),
        (
            "trunk_sid",
            &number.trunk_sid,
            "calls go to that SIP trunk",
            "VoiceUrl",
        ),
    ]
    .into_iter()
    .filter_map(|(field, value, goes_to, ignored)| {
        value.as_ref().map(|value| Override {
            field,
            value: value.clone(),
            goes_to,
            ignored,
        })
    })
    .collect();
    if !overrides.is_empty() {
        return Err(overrides);
    }
    Ok([
        ("voice_url", &number.voice_url, wanted.voice_url.as_str()),
        ("voice_method", &number.voice_method, WEBHOOK_METHOD),
        ("sms_url", &number.sms_url, wanted.sms_url.as_str()),
        ("sms_method", &number.sms_method, WEBHOOK_METHOD),
    ]
    .into_iter()
    .filter(|(_, has, wants)| has.as_deref() != Some(*wants))
    .map(|(field, from, to)| Change {
        field,
        from: from.clone(),
        to: to.to_string(),
    })
    .collect())
}

/// What a sync did: the number, its SID at Twilio, and the fields it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub twilio_number: PhoneNumber,
    pub sid: String,
    pub changed: Vec<Change>,
}

impl SyncReport {
    /// `{"twilio_number", "sid", "changed": {"voice_url": {"from", "to"}, …}}`; `changed` is `{}`
    /// when the number already pointed here.
    pub fn json(&self) -> serde_json::Value {
        let changed: serde_json::Map<String, serde_json::Value> = self
            .changed
            .iter()
            .map(|change| {
                let value = serde_json::json!({ "from": change.from, "to": change.to });
                (change.field.to_string(), value)
            })
            .collect();
        serde_json::json!({
            "twilio_number": self.twilio_number,
            "sid": self.sid,
            "changed": changed,
        })
    }
}

/// Why a sync changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// IncomingPhoneNumbers lists no such number: the account does not own it.
    NotOwned(PhoneNumber),
    /// The number's calls or texts go to an app or a trunk: the URLs would be ignored.
    Overridden {
        number: PhoneNumber,
        overrides: Vec<Override>,
    },
    /// Twilio refused, failed or did not answer in time.
    Twilio(Failure),
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::NotOwned(number) => write!(
                f,
                "{number} is not a number of this Twilio account (IncomingPhoneNumbers lists no \
                 such number)"
            ),
            SyncError::Overridden { number, overrides } => {
                let reasons: Vec<String> = overrides.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{number} was left as it was: {}. Clear it at Twilio (console: Phone Numbers, \
                     the number, Configure: Webhook instead of TwiML App or SIP Trunk) and sync \
                     again",
                    reasons.join("; ")
                )
            }
            SyncError::Twilio(failure) => write!(f, "IncomingPhoneNumbers: {failure}"),
        }
    }
}

/// Finds `number` at Twilio and points it at `wanted`: one GET, and one POST only when something
/// differs.
pub async fn sync(
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    number: &PhoneNumber,
    wanted: &Webhooks,
) -> Result<SyncReport, SyncError> {
    let listed = http.send(rest::find_incoming_number(twilio, number)).await;
    let found = rest::parse_incoming_number_page(listed)
        .map_err(SyncError::Twilio)?
        .take(number)
        .ok_or_else(|| SyncError::NotOwned(number.clone()))?;
    let changed = plan(&found, wanted).map_err(|overrides| SyncError::Overridden {
        number: number.clone(),
        overrides,
    })?;
    if !changed.is_empty() {
        let updated = http
            .send(rest::update_incoming_number(twilio, &found.sid, wanted))
            .await;
        rest::parse_incoming_number(updated).map_err(SyncError::Twilio)?;
    }
    Ok(SyncReport {
        twilio_number: number.clone(),
        sid: found.sid,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_URL: &str = "https://calls.example.com";

    fn wanted() -> Webhooks {
        Webhooks::at(APP_URL)
    }

    /// A number bought and never configured: Twilio's demo URL, no app, no trunk.
    fn fresh_number() -> IncomingNumber {
        IncomingNumber {
            sid: "PN0123456789abcdef0123456789abcdef".into(),
            phone_number: "+14155559000".into(),
            voice_url: Some("https://demo.twilio.com/welcome/voice/".into()),
            voice_method: Some("POST".into()),
            sms_url: None,
            sms_method: Some("POST".into()),
            voice_application_sid: None,
            sms_application_sid: None,
            trunk_sid: None,
        }
    }

    fn pointed_here() -> IncomingNumber {
        IncomingNumber {
            voice_url: Some(format!("{APP_URL}/api/webhooks/twilio/voice")),
            sms_url: Some(format!("{APP_URL}/api/webhooks/twilio/sms")),
            ..fresh_number()
        }
    }

    #[test]
    fn the_webhooks_are_the_deployments_paths() {
        assert_eq!(
            wanted(),
            Webhooks {
                voice_url: "https://calls.example.com/api/webhooks/twilio/voice".into(),
                sms_url: "https://calls.example.com/api/webhooks/twilio/sms".into(),
            }
        );
    }

    #[test]
    fn a_fresh_number_gets_both_urls_and_keeps_its_methods() {
        assert_eq!(
            plan(&fresh_number(), &wanted()),
            Ok(vec![
                Change {
                    field: "voice_url",
                    from: Some("https://demo.twilio.com/welcome/voice/".into()),
                    to: "https://calls.example.com/api/webhooks/twilio/voice".into(),
                },
                Change {
                    field: "sms_url",
                    from: None,
                    to: "https://calls.example.com/api/webhooks/twilio/sms".into(),
                },
            ])
        );
    }

    #[test]
    fn a_number_already_pointed_here_changes_nothing() {
        assert_eq!(plan(&pointed_here(), &wanted()), Ok(vec![]));
    }

    /// A GET webhook, or one of another deployment (or of `http://` where `https://` is wanted),
    /// is put right field by field.
    #[test]
    fn each_field_that_differs_is_one_change() {
        let number = IncomingNumber {
            voice_method: Some("GET".into()),
            sms_method: None,
            sms_url: Some("http://calls.example.com/api/webhooks/twilio/sms".into()),
            ..pointed_here()
        };
        let changes = plan(&number, &wanted()).unwrap();
        let fields: Vec<(&str, Option<&str>, &str)> = changes
            .iter()
            .map(|c| (c.field, c.from.as_deref(), c.to.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("voice_method", Some("GET"), "POST"),
                (
                    "sms_url",
                    Some("http://calls.example.com/api/webhooks/twilio/sms"),
                    "https://calls.example.com/api/webhooks/twilio/sms"
                ),
                ("sms_method", None, "POST"),
            ]
        );
    }

    #[test]
    fn an_app_or_a_trunk_is_refused_naming_the_field_and_its_value() {
        let cases = [
            (
                IncomingNumber {
                    voice_application_sid: Some("AP11".into()),
                    ..fresh_number()
                },
                "voice_application_sid is AP11: calls go to that TwiML App, and Twilio ignores \
                 VoiceUrl while it is set",
            ),
            (
                IncomingNumber {
                    sms_application_sid: Some("AP22".into()),
                    ..pointed_here()
                },
                "sms_application_sid is AP22: texts go to that TwiML App, and Twilio ignores \
                 SmsUrl while it is set",
            ),
            (
                IncomingNumber {
                    trunk_sid: Some("TK33".into()),
                    ..fresh_number()
                },
                "trunk_sid is TK33: calls go to that SIP trunk, and Twilio ignores VoiceUrl \
                 while it is set",
            ),
        ];
        for (number, expected) in cases {
            let overrides = plan(&number, &wanted()).unwrap_err();
            let reasons: Vec<String> = overrides.iter().map(ToString::to_string).collect();
            assert_eq!(reasons, [expected]);
        }
        let both = IncomingNumber {
            voice_application_sid: Some("AP11".into()),
            trunk_sid: Some("TK33".into()),
            ..fresh_number()
        };
        let fields: Vec<&str> = plan(&both, &wanted())
            .unwrap_err()
            .iter()
            .map(|o| o.field)
            .collect();
        assert_eq!(fields, ["voice_application_sid", "trunk_sid"]);
    }

    #[test]
    fn the_report_names_each_change_with_from_and_to() {
        let report = SyncReport {
            twilio_number: PhoneNumber::parse("+14155559000").unwrap(),
            sid: "PN1".into(),
            changed: plan(&fresh_number(), &wanted()).unwrap(),
        };
        assert_eq!(
            report.json(),
            serde_json::json!({
                "twilio_number": "+14155559000",
                "sid": "PN1",
                "changed": {
                    "voice_url": {
                        "from": "https://demo.twilio.com/welcome/voice/",
                        "to": "https://calls.example.com/api/webhooks/twilio/voice",
                    },
                    "sms_url": {
                        "from": null,
                        "to": "https://calls.example.com/api/webhooks/twilio/sms",
                    },
                },
            })
        );
        let unchanged = SyncReport {
            changed: vec![],
            ..report
        };
        assert_eq!(unchanged.json()["changed"], serde_json::json!({}));
    }
}
