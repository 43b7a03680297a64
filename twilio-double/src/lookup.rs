//! Lookup v2 (`GET /v2/PhoneNumbers/{E.164}`), line type intelligence only: the worker asks it for
//! a caller's line type when a number skips landlines. Answers Twilio's JSON, with the
//! `line_type_intelligence` package only when `Fields` asks for it (as Twilio, which bills per
//! package). Tests set a number's line type (`set_line_type`, default `mobile`), queue failures
//! (`script_lookup`), and count what was asked (`lookups_of`, `RecordedRequest::is_lookup`).
use crate::api::{hang_up, json, twilio_error, ConnectionKill};
use crate::{phone, RecordedRequest, TwilioDouble};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use std::collections::VecDeque;
use std::time::Duration;

/// Where Lookup's phone number resources live (on Lookup's own host at Twilio; on the double's one
/// port here).
pub const LOOKUP_PREFIX: &str = "/v2/PhoneNumbers/";

/// The line type a number has unless a test set another.
pub const DEFAULT_LINE_TYPE: &str = "mobile";

/// What the double does with the next Lookup of a given number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupScript {
    /// Twilio's error JSON with this HTTP status and code (404/20404, 429/20429, 500/20500 …).
    Error { status: u16, code: u32 },
    /// A 200 whose `line_type_intelligence` could not tell: `type` null, `error_code` this code
    /// (60600: unprovisioned or out of coverage; 60601: provider error).
    NoLineType { error_code: u32 },
    /// Wait, then answer as usual.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

impl TwilioDouble {
    /// What Lookup says `phone`'s line type is from now on (`landline`, `fixedVoip`, `unknown` …,
    /// written as Twilio writes it).
    pub fn set_line_type(&self, phone: &str, line_type: &str) {
        self.state()
            .line_types
            .insert(phone.to_string(), line_type.to_string());
    }

    /// Queues what the next Lookup of `phone` meets; scripts are used up in order.
    pub fn script_lookup(&self, phone: &str, script: LookupScript) {
        self.state()
            .lookup_scripts
            .entry(phone.to_string())
            .or_default()
            .push_back(script);
    }

    /// Every Lookup request for `phone`, in the order received (failed ones included).
    pub fn lookups_of(&self, phone: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.lookup_number().as_deref() == Some(phone))
            .collect()
    }
}

impl RecordedRequest {
    /// A Lookup v2 request for a phone number (`GET /v2/PhoneNumbers/…`).
    pub fn is_lookup(&self) -> bool {
        self.method == "GET" && self.path.starts_with(LOOKUP_PREFIX)
    }

    /// The number a Lookup request asked about, percent-decoded (`%2B` is `+`).
    pub fn lookup_number(&self) -> Option<String> {
        self.path
            .strip_prefix(LOOKUP_PREFIX)
            .filter(|_| self.is_lookup())
            .map(percent_decode)
    }
}

/// `%XX` escapes decoded; anything malformed is left as it is.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| raw.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// `GET /v2/PhoneNumbers/{phone}`: what the test scripted for the number, else Twilio's answer with
/// its line type (`mobile` unless set). A number that is not E.164 is answered as Twilio answers
/// it: 200, `valid: false`, no packages.
pub(crate) async fn lookup(
    State(double): State<TwilioDouble>,
    Path(phone): Path<String>,
    Extension(request): Extension<RecordedRequest>,
    Extension(kill): Extension<ConnectionKill>,
) -> Response {
    let script = double
        .state()
        .lookup_scripts
        .get_mut(&phone)
        .and_then(VecDeque::pop_front);
    let wants_line_type = request.query_value("Fields").is_some_and(|fields| {
        fields
            .split(',')
            .any(|field| field.trim() == "line_type_intelligence")
    });
    let line_type = double
        .state()
        .line_types
        .get(&phone)
        .cloned()
        .unwrap_or_else(|| DEFAULT_LINE_TYPE.to_string());
    let mut package = line_type_intelligence(Some(&line_type), None);
    match script {
        Some(LookupScript::Error { status, code }) => {
            return twilio_error(status, code, &error_message(code, &phone));
        }
        Some(LookupScript::NoLineType { error_code }) => {
            package = line_type_intelligence(None, Some(error_code));
        }
        Some(LookupScript::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(LookupScript::Drop) => return hang_up(kill).await,
        None => {}
    }
    let valid = phone::is_e164(&phone);
    let package = (valid && wants_line_type).then_some(package);
    json(200, resource(&phone, valid, package))
}

/// Twilio's `line_type_intelligence` package: a carrier for a known type, an `error_code` and no
/// type when it could not tell.
fn line_type_intelligence(line_type: Option<&str>, error_code: Option<u32>) -> serde_json::Value {
    let mobile = line_type == Some("mobile");
    serde_json::json!({
        "carrier_name": line_type.map(|_| "Double Telecom"),
        "error_code": error_code,
        "mobile_country_code": mobile.then_some("310"),
        "mobile_network_code": mobile.then_some("456"),
        "type": line_type,
    })
}

/// The phone number resource, field for field as Lookup v2 answers it; packages not asked for are
/// `null`.
fn resource(phone: &str, valid: bool, line_type: Option<serde_json::Value>) -> serde_json::Value {
    let (calling_code, country) = if valid {
        country_of(phone)
    } else {
        (None, None)
    };
    let national = match (valid, phone.strip_prefix("+1")) {
        (true, Some(rest)) if rest.len() == 10 => {
            Some(format!("({}) {}-{}", &rest[..3], &rest[3..6], &rest[6..]))
        }
        (true, _) => Some(phone.to_string()),
        (false, _) => None,
    };
    serde_json::json!({
        "calling_country_code": calling_code,
        "country_code": country,
        "phone_number": phone,
        "national_format": national,
        "valid": valid,
        "validation_errors": if valid { vec![] } else { vec!["NOT_A_NUMBER"] },
        "caller_name": null,
        "sim_swap": null,
        "call_forwarding": null,
        "line_status": null,
        "line_type_intelligence": line_type,
        "identity_match": null,
        "reassigned_number": null,
        "sms_pumping_risk": null,
        "phone_number_quality_score": null,
        "pre_fill": null,
        "url": format!("https://lookups.twilio.com/v2/PhoneNumbers/{phone}"),
    })
}

/// The calling code and country of a few numbering plans; others answer the first digits only.
fn country_of(phone: &str) -> (Option<&'static str>, Option<&'static str>) {
    const PLANS: [(&str, &str); 6] = [
        ("1", "US"),
        ("44", "GB"),
        ("49", "DE"),
        ("33", "FR"),
        ("61", "AU"),
        ("91", "IN"),
    ];
    let digits = phone.trim_start_matches('+');
    PLANS
        .iter()
        .find(|(code, _)| digits.starts_with(code))
        .map_or((None, None), |(code, country)| {
            (Some(*code), Some(*country))
        })
}

/// Twilio's texts for the errors a test can script.
fn error_message(code: u32, phone: &str) -> String {
    match code {
        20404 => format!("The requested resource /PhoneNumbers/{phone} was not found"),
        20429 => "Too Many Requests".to_string(),
        20500 => "Internal Server Error".to_string(),
        20003 => "Authenticate".to_string(),
        _ => "Error".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_the_encoded_plus_and_leaves_the_rest() {
        assert_eq!(percent_decode("%2B14155550123"), "+14155550123");
        assert_eq!(percent_decode("%2b14155550123"), "+14155550123");
        assert_eq!(percent_decode("+14155550123"), "+14155550123");
        assert_eq!(percent_decode("%2"), "%2");
        assert_eq!(percent_decode("%zz1"), "%zz1");
    }
}
