//! Twilio REST requests and responses (2010-04-01 API).
use crate::config::TwilioConfig;
use crate::domain::PhoneNumber;
use crate::http::{InboundResponse, Method, OutboundRequest, TransportError};
use crate::twilio::number_sync::{Webhooks, WEBHOOK_METHOD};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;

/// Twilio's error body: `{"code": 21211, "message": "...", "more_info": "...", "status": 400}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ApiErrorBody {
    pub code: Option<u32>,
    pub message: Option<String>,
}

/// Why a request did not produce the resource, sorted by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Twilio will give the same answer every time: record it and stop.
    Final {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    /// Rate limits, server errors, timeouts: worth another try later.
    Retryable {
        status: Option<u16>,
        code: Option<u32>,
        message: String,
    },
}

impl Failure {
    pub fn code(&self) -> Option<u32> {
        match self {
            Failure::Final { code, .. } | Failure::Retryable { code, .. } => *code,
        }
    }

    /// Whether the request may have taken effect although no success could be read: anything but
    /// a clear refusal (4xx, including 429 which Twilio documents as not processed). A 2xx whose
    /// body is unreadable did take effect, most likely.
    pub fn may_have_sent(&self) -> bool {
        match self {
            Failure::Final { .. } => false,
            Failure::Retryable { status, .. } => status.is_none_or(|s| !(400..500).contains(&s)),
        }
    }

    /// A short label for logs and for the call's record: Twilio's code, else the HTTP status.
    pub fn label(&self) -> String {
        match self {
            Failure::Final {
                code: Some(code), ..
            }
            | Failure::Retryable {
                code: Some(code), ..
            } => code.to_string(),
            Failure::Final { status, .. }
            | Failure::Retryable {
                status: Some(status),
                ..
            } => {
                format!("http-{status}")
            }
            Failure::Retryable {
                status: None,
                message,
                ..
            } if message.contains("timed out") => "timeout".to_string(),
            Failure::Retryable { status: None, .. } => "network".to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Final { message, .. } | Failure::Retryable { message, .. } => {
                write!(f, "{} ({message})", self.label())
            }
        }
    }
}

fn account_url(twilio: &TwilioConfig, resource: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{}/{resource}",
        twilio.api_base_url, twilio.account_sid
    )
}

pub(crate) fn basic_auth(twilio: &TwilioConfig) -> (String, String) {
    let credentials = STANDARD.encode(format!(
        "{}:{}",
        twilio.account_sid,
        twilio.auth_token.expose()
    ));
    ("Authorization".to_string(), format!("Basic {credentials}"))
}

/// What Twilio should report of a text's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// To `message_status_url` (sent, delivered, undelivered, failed): the missed-call texts.
    Delivery,
    /// Nothing: a relayed conversation message, which no call records.
    None,
}

/// A text from the business number `from` to `to`.
pub fn send_message(
    twilio: &TwilioConfig,
    to: &PhoneNumber,
    from: &PhoneNumber,
    body: &str,
    tracking: Tracking,
) -> OutboundRequest {
    let mut fields = vec![("To", to.as_str()), ("From", from.as_str()), ("Body", body)];
    if tracking == Tracking::Delivery {
        fields.push(("StatusCallback", &twilio.message_status_url));
    }
    let form = serde_urlencoded::to_string(fields).expect("string pairs always encode");
    post(twilio, "Messages.json", form)
}

/// How many of the newest messages from one number to another a lookup reads: one request, and far
/// more than a business sends one caller in the minutes since a claim.
pub const MESSAGES_PAGE_SIZE: u32 = 20;

/// The newest messages sent to `to` from `from`: how to find out whether a send that ended
/// ambiguously went anyway, since Twilio has no idempotency key. Twilio lists newest first (by
/// SID, which follows creation). No `DateSent` filter: it compares `date_sent`, which a message
/// still queued does not have yet.
pub fn list_messages(
    twilio: &TwilioConfig,
    to: &PhoneNumber,
    from: &PhoneNumber,
) -> OutboundRequest {
    let query = serde_urlencoded::to_string([
        ("To", to.as_str()),
        ("From", from.as_str()),
        ("PageSize", &MESSAGES_PAGE_SIZE.to_string()),
    ])
    .expect("string pairs always encode");
    get(twilio, &format!("Messages.json?{query}"))
}

pub fn fetch_call(twilio: &TwilioConfig, call_sid: &str) -> OutboundRequest {
    get(twilio, &format!("Calls/{call_sid}.json"))
}

/// The inbound call's own status says nothing about the forward: the `outbound-dial` child legs do.
pub fn list_child_calls(twilio: &TwilioConfig, parent_call_sid: &str) -> OutboundRequest {
    let query = serde_urlencoded::to_string([("ParentCallSid", parent_call_sid)])
        .expect("string pairs always encode");
    get(twilio, &format!("Calls.json?{query}"))
}

/// The account's calls that started on `since_day` (`YYYY-MM-DD`, UTC) or later, newest first,
/// `page_size` a page: Twilio's `StartTime>=` is day-granular, so the caller filters by time.
pub fn list_calls_since(twilio: &TwilioConfig, since_day: &str, page_size: u32) -> OutboundRequest {
    let query = serde_urlencoded::to_string([
        ("StartTime>=", since_day),
        ("PageSize", &page_size.to_string()),
    ])
    .expect("string pairs always encode");
    get(twilio, &format!("Calls.json?{query}"))
}

/// The page a list's `next_page_uri` names (a path on the API host).
pub fn next_page(twilio: &TwilioConfig, next_page_uri: &str) -> OutboundRequest {
    fetch(format!("{}{next_page_uri}", twilio.api_base_url), twilio)
}

/// The account's number `number`, found by `PhoneNumber=` (the one way to learn its `PN…` SID):
/// where its calls and texts go today.
pub fn find_incoming_number(twilio: &TwilioConfig, number: &PhoneNumber) -> OutboundRequest {
    let query = serde_urlencoded::to_string([("PhoneNumber", number.as_str())])
        .expect("string pairs always encode");
    get(twilio, &format!("IncomingPhoneNumbers.json?{query}"))
}

/// Points the number `sid` (`PN…`) at `webhooks`: both URLs and both methods, in one POST.
pub fn update_incoming_number(
    twilio: &TwilioConfig,
    sid: &str,
    webhooks: &Webhooks,
) -> OutboundRequest {
    let form = serde_urlencoded::to_string([
        ("VoiceUrl", webhooks.voice_url.as_str()),
        ("VoiceMethod", WEBHOOK_METHOD),
        ("SmsUrl", webhooks.sms_url.as_str()),
        ("SmsMethod", WEBHOOK_METHOD),
    ])
    .expect("string pairs always encode");
    post(twilio, &format!("IncomingPhoneNumbers/{sid}.json"), form)
}

fn post(twilio: &TwilioConfig, resource: &str, form: String) -> OutboundRequest {
    OutboundRequest {
        method: Method::Post,
        url: account_url(twilio, resource),
        headers: vec![
            basic_auth(twilio),
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
        ],
        body: Some(form),
    }
}

fn get(twilio: &TwilioConfig, resource: &str) -> OutboundRequest {
    fetch(account_url(twilio, resource), twilio)
}

fn fetch(url: String, twilio: &TwilioConfig) -> OutboundRequest {
    OutboundRequest {
        method: Method::Get,
        url,
        headers: vec![basic_auth(twilio)],
        body: None,
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub sid: String,
    pub status: String,
}

/// A message as the Messages list shows it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ListedMessage {
    pub sid: String,
    /// `queued`, `sent`, `delivered`, `failed`, `undelivered` …
    pub status: String,
    pub body: String,
    /// Seconds since the Unix epoch; Twilio writes RFC 2822 (`Tue, 24 Nov 2026 08:14:43 +0000`).
    #[serde(rename = "date_created", deserialize_with = "rfc2822_seconds")]
    pub created: i64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MessagePage {
    pub messages: Vec<ListedMessage>,
    /// Present when older messages follow on another page.
    pub next_page_uri: Option<String>,
}

fn rfc2822_seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let raw = String::deserialize(deserializer)?;
    parse_rfc2822(&raw)
        .ok_or_else(|| serde::de::Error::custom(format!("{raw:?} is not an RFC 2822 date")))
}

fn optional_rfc2822_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(raw) => parse_rfc2822(&raw)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{raw:?} is not an RFC 2822 date"))),
    }
}

/// Seconds since the Unix epoch of a date as Twilio writes it: `Tue, 24 Nov 2026 08:14:43 +0000`.
pub fn parse_rfc2822(raw: &str) -> Option<i64> {
    let parts: Vec<&str> = raw.split_whitespace().collect();
    let [_weekday, day, month, year, time, offset] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let [hours, minutes, seconds] = hms.as_slice() else {
        return None;
    };
    let (sign, hhmm) = match offset.split_at_checked(1)? {
        ("+", hhmm) => (1, hhmm),
        ("-", hhmm) => (-1, hhmm),
        _ => return None,
    };
    let hhmm: i64 = hhmm.parse().ok().filter(|_| hhmm.len() == 4)?;
    let offset_secs = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
    if !(1..=31).contains(&day) || *hours > 23 || *minutes > 59 || *seconds > 60 {
        return None;
    }
    Some(
        days_from_civil(year, month, day) * 86_400 + hours * 3600 + minutes * 60 + seconds
            - offset_secs,
    )
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Call {
    pub sid: String,
    pub parent_call_sid: Option<String>,
    pub status: String,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Seconds since the Unix epoch; None for a call not started yet (queued).
    #[serde(default, deserialize_with = "optional_rfc2822_seconds")]
    pub start_time: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CallPage {
    pub calls: Vec<Call>,
    /// Present when more calls follow on another page: a path on the API host.
    #[serde(default)]
    pub next_page_uri: Option<String>,
}

/// A number the account owns, as IncomingPhoneNumbers shows it: where its calls and texts go.
/// Twilio writes an unset field as `null` or as `""`; both read as `None`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default, deserialize_with = "blank_is_none")]
    pub voice_url: Option<String>,
    #[serde(default, deserialize_with = "blank_is_none")]
    pub voice_method: Option<String>,
    #[serde(default, deserialize_with = "blank_is_none")]
    pub sms_url: Option<String>,
    #[serde(default, deserialize_with = "blank_is_none")]
    pub sms_method: Option<String>,
    /// A TwiML App that takes the calls: Twilio ignores `voice_url` while it is set.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub voice_application_sid: Option<String>,
    /// A TwiML App that takes the texts: Twilio ignores `sms_url` while it is set.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub sms_application_sid: Option<String>,
    /// A SIP trunk that takes the calls: Twilio ignores `voice_url` while it is set.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub trunk_sid: Option<String>,
}

/// A page of IncomingPhoneNumbers. Filtered by a whole E.164 number it holds that number or
/// nothing, so its paging fields are not read.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IncomingNumberPage {
    pub incoming_phone_numbers: Vec<IncomingNumber>,
}

impl IncomingNumberPage {
    /// The page's entry for exactly `number`: Twilio's `PhoneNumber` filter also matches partial
    /// numbers, so the page is not trusted to hold that one alone.
    pub fn take(self, number: &PhoneNumber) -> Option<IncomingNumber> {
        self.incoming_phone_numbers
            .into_iter()
            .find(|listed| listed.phone_number == number.as_str())
    }
}

fn blank_is_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|value| !value.is_empty()))
}

/// Errors after which the message can never be sent to this recipient from this number.
pub const FINAL_SMS_ERRORS: [u32; 6] = [21211, 21408, 21606, UNSUBSCRIBED, 21612, 21614];

/// "The recipient has opted out": they texted STOP to the sending number.
pub const UNSUBSCRIBED: u32 = 21610;

pub fn parse_message(
    response: Result<InboundResponse, TransportError>,
) -> Result<Message, Failure> {
    parse(response, |status, code| {
        status == 400
            || status == 401
            || status == 403
            || code.is_some_and(|c| FINAL_SMS_ERRORS.contains(&c))
    })
}

pub fn parse_message_page(
    response: Result<InboundResponse, TransportError>,
) -> Result<MessagePage, Failure> {
    parse(response, lookup_is_final)
}

pub fn parse_call(response: Result<InboundResponse, TransportError>) -> Result<Call, Failure> {
    parse(response, lookup_is_final)
}

pub fn parse_call_page(
    response: Result<InboundResponse, TransportError>,
) -> Result<CallPage, Failure> {
    parse(response, lookup_is_final)
}

pub fn parse_incoming_number_page(
    response: Result<InboundResponse, TransportError>,
) -> Result<IncomingNumberPage, Failure> {
    parse(response, lookup_is_final)
}

pub fn parse_incoming_number(
    response: Result<InboundResponse, TransportError>,
) -> Result<IncomingNumber, Failure> {
    parse(response, lookup_is_final)
}

/// 404/20404 is a SID this account does not have; 403/20008 is test credentials, which may not GET.
fn lookup_is_final(status: u16, _code: Option<u32>) -> bool {
    matches!(status, 400 | 401 | 403 | 404)
}

/// A response as `T`, or the `Failure` it is; `is_final(status, code)` says which refusals are
/// final. Lookup (`twilio::lookup`) reads its answers with it too.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
    response: Result<InboundResponse, TransportError>,
    is_final: impl Fn(u16, Option<u32>) -> bool,
) -> Result<T, Failure> {
    let response = response.map_err(|error| Failure::Retryable {
        status: None,
        code: None,
        message: error.to_string(),
    })?;
    if (200..300).contains(&response.status) {
        return serde_json::from_str(&response.body).map_err(|error| Failure::Retryable {
            status: Some(response.status),
            code: None,
            message: format!("unreadable Twilio response: {error}"),
        });
    }
    let error: Option<ApiErrorBody> = serde_json::from_str(&response.body).ok();
    let code = error.as_ref().and_then(|e| e.code);
    let message = error
        .and_then(|e| e.message)
        .unwrap_or_else(|| format!("HTTP {}", response.status));
    if is_final(response.status, code) {
        Err(Failure::Final {
            status: response.status,
            code,
            message,
        })
    } else {
        Err(Failure::Retryable {
            status: Some(response.status),
            code,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twilio() -> TwilioConfig {
        TwilioConfig {
            account_sid: "AC0123456789abcdef0123456789abcdef".to_string(),
            auth_token: crate::config::Secret::new("secret"),
            api_base_url: "http://127.0.0.1:9".to_string(),
            lookup_base_url: "http://127.0.0.1:8".to_string(),
            message_status_url: "https://calls.example.com/api/webhooks/twilio/message-status"
                .to_string(),
        }
    }

    fn number(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).unwrap()
    }

    fn reply(status: u16, body: &str) -> Result<InboundResponse, TransportError> {
        Ok(InboundResponse {
            status,
            body: body.to_string(),
        })
    }

    #[test]
    fn builds_the_messages_post() {
        let untracked = send_message(
            &twilio(),
            &number("+14155550123"),
            &number("+14155559999"),
            "Hi",
            Tracking::None,
        );
        assert_eq!(
            untracked.body.as_deref(),
            Some("To=%2B14155550123&From=%2B14155559999&Body=Hi")
        );
        let request = send_message(
            &twilio(),
            &number("+14155550123"),
            &number("+14155559999"),
            "Hi & bye",
            Tracking::Delivery,
        );
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            "http://127.0.0.1:9/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
        assert_eq!(
            request.body.as_deref(),
            Some(
                "To=%2B14155550123&From=%2B14155559999&Body=Hi+%26+bye&StatusCallback=\
                 https%3A%2F%2Fcalls.example.com%2Fapi%2Fwebhooks%2Ftwilio%2Fmessage-status"
            )
        );
        let auth = &request
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1;
        let decoded = STANDARD
            .decode(auth.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"AC0123456789abcdef0123456789abcdef:secret");
    }

    #[test]
    fn builds_the_child_leg_query() {
        let request = list_child_calls(&twilio(), "CA00000000000000000000000000000001");
        assert!(request
            .url
            .ends_with("/Calls.json?ParentCallSid=CA00000000000000000000000000000001"));
        assert_eq!(request.method, Method::Get);
        assert!(request.body.is_none());
    }

    /// No `DateSent` filter: a message still queued has no `date_sent`, and would be missed.
    #[test]
    fn builds_the_sent_messages_query_without_a_date_sent_filter() {
        let request = list_messages(&twilio(), &number("+14155550123"), &number("+14155559999"));
        assert!(
            request
                .url
                .ends_with("/Messages.json?To=%2B14155550123&From=%2B14155559999&PageSize=20"),
            "{}",
            request.url
        );
        let page = parse_message_page(reply(
            200,
            r#"{"messages":[{"sid":"SM9","status":"queued","body":"Hi","date_created":"Tue, 24 Nov 2026 08:14:43 +0000","date_sent":null}],"page":0,"next_page_uri":null}"#,
        ))
        .unwrap();
        assert_eq!(
            page.messages,
            [ListedMessage {
                sid: "SM9".into(),
                status: "queued".into(),
                body: "Hi".into(),
                created: 1_795_508_083,
            }]
        );
        assert_eq!(page.next_page_uri, None);
        let unreadable_date = parse_message_page(reply(
            200,
            r#"{"messages":[{"sid":"SM9","status":"sent","body":"Hi","date_created":"yesterday"}]}"#,
        ));
        assert!(matches!(unreadable_date, Err(Failure::Retryable { .. })));
    }

    #[test]
    fn reads_twilios_dates() {
        let cases = [
            ("Tue, 24 Nov 2026 08:14:43 +0000", Some(1_795_508_083)),
            ("Thu, 01 Jan 1970 00:00:00 +0000", Some(0)),
            ("Wed, 31 Dec 1969 23:59:59 +0000", Some(-1)),
            ("Tue, 29 Feb 2028 12:00:00 +0000", Some(1_835_438_400)),
            ("Tue, 24 Nov 2026 09:14:43 +0100", Some(1_795_508_083)),
            ("Tue, 24 Nov 2026 03:14:43 -0500", Some(1_795_508_083)),
            ("Tue, 24 Nov 2026 08:14 +0000", None),
            ("24 Nov 2026 08:14:43 +0000", None),
            ("Tue, 24 Nok 2026 08:14:43 +0000", None),
            ("Tue, 24 Nov 2026 08:14:43 GMT", None),
            ("2026-11-24T08:14:43Z", None),
            ("", None),
        ];
        for (raw, seconds) in cases {
            assert_eq!(parse_rfc2822(raw), seconds, "{raw}");
        }
    }

    /// Only a refusal says for sure that nothing was sent; a timeout, a dropped connection, a 5xx
    /// or a 2xx that cannot be read may hide a message that went out.
    #[test]
    fn tells_ambiguous_failures_apart() {
        assert!(!parse_message(reply(
            429,
            r#"{"code":20429,"message":"Too Many Requests","status":429}"#
        ))
        .unwrap_err()
        .may_have_sent());
        assert!(parse_message(reply(503, "")).unwrap_err().may_have_sent());
        assert!(parse_message(reply(201, r#"{"sid":"SM1","sta"#))
            .unwrap_err()
            .may_have_sent());
        assert!(
            !parse_message(reply(400, r#"{"code":21211,"message":"x"}"#))
                .unwrap_err()
                .may_have_sent()
        );
        assert!(parse_message(Err(TransportError::Timeout))
            .unwrap_err()
            .may_have_sent());
        assert!(
            parse_message(Err(TransportError::Connection("reset".into())))
                .unwrap_err()
                .may_have_sent()
        );
    }

    #[test]
    fn sorts_sms_failures() {
        let final_error = parse_message(reply(
            400,
            r#"{"code":21610,"message":"unsubscribed","more_info":"","status":400}"#,
        ));
        assert_eq!(
            final_error.unwrap_err(),
            Failure::Final {
                status: 400,
                code: Some(21610),
                message: "unsubscribed".into()
            }
        );
        let limited = parse_message(reply(
            429,
            r#"{"code":20429,"message":"Too Many Requests","status":429}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            limited,
            Failure::Retryable {
                code: Some(20429),
                ..
            }
        ));
        let server = parse_message(reply(500, "oops")).unwrap_err();
        assert!(matches!(
            server,
            Failure::Retryable {
                status: Some(500),
                code: None,
                ..
            }
        ));
        assert_eq!(server.label(), "http-500");
        let timeout = parse_message(Err(TransportError::Timeout)).unwrap_err();
        assert_eq!(timeout.label(), "timeout");
    }

    #[test]
    fn reads_a_message_and_a_call_page() {
        let message = parse_message(reply(
            201,
            r#"{"sid":"SM1","status":"queued","to":"+1","body":"x"}"#,
        ))
        .unwrap();
        assert_eq!(message.sid, "SM1");
        let page = parse_call_page(reply(200, r#"{"calls":[{"sid":"CA2","parent_call_sid":"CA1","status":"no-answer","direction":"outbound-dial"}],"page":0,"page_size":50,"next_page_uri":null}"#)).unwrap();
        assert_eq!(page.calls[0].status, "no-answer");
        let missing = parse_call(reply(
            404,
            r#"{"code":20404,"message":"not found","status":404}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            missing,
            Failure::Final {
                code: Some(20404),
                ..
            }
        ));
    }

    #[test]
    fn builds_the_incoming_number_lookup_with_an_encoded_plus() {
        let request = find_incoming_number(&twilio(), &number("+14155559000"));
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url,
            "http://127.0.0.1:9/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/\
             IncomingPhoneNumbers.json?PhoneNumber=%2B14155559000"
        );
        assert!(request.body.is_none());
        assert!(request
            .headers
            .iter()
            .any(|(name, value)| name == "Authorization" && value.starts_with("Basic ")));
    }

    #[test]
    fn builds_the_incoming_number_update() {
        let webhooks = Webhooks::at("https://calls.example.com");
        let request =
            update_incoming_number(&twilio(), "PN0123456789abcdef0123456789abcdef", &webhooks);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            "http://127.0.0.1:9/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/\
             IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json"
        );
        assert_eq!(
            request.body.as_deref(),
            Some(
                "VoiceUrl=https%3A%2F%2Fcalls.example.com%2Fapi%2Fwebhooks%2Ftwilio%2Fvoice\
                 &VoiceMethod=POST\
                 &SmsUrl=https%3A%2F%2Fcalls.example.com%2Fapi%2Fwebhooks%2Ftwilio%2Fsms\
                 &SmsMethod=POST"
            )
        );
        assert!(request.headers.contains(&(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string()
        )));
    }

    /// Twilio's list JSON, trimmed to the fields that matter and a few that do not; an unset
    /// field is `null` or `""` depending on the field and the number's history.
    #[test]
    fn reads_an_incoming_number_page() {
        let page = parse_incoming_number_page(reply(
            200,
            r#"{"first_page_uri": "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PhoneNumber=%2B14155559000&PageSize=50&Page=0",
                "end": 0, "previous_page_uri": null, "next_page_uri": null, "page": 0, "page_size": 50, "start": 0,
                "uri": "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PhoneNumber=%2B14155559000&PageSize=50&Page=0",
                "incoming_phone_numbers": [
                  {"sid": "PN1", "phone_number": "+141555590001", "voice_url": "", "trunk_sid": null},
                  {"sid": "PN2", "phone_number": "+14155559000", "friendly_name": "(415) 555-9000",
                   "voice_url": "https://demo.twilio.com/welcome/voice/", "voice_method": "POST",
                   "sms_url": "", "sms_method": "POST", "voice_application_sid": "",
                   "sms_application_sid": "AP9", "trunk_sid": null,
                   "capabilities": {"voice": true, "sms": true, "mms": true}}
                ]}"#,
        ))
        .unwrap();
        assert_eq!(
            page.take(&number("+14155559000")),
            Some(IncomingNumber {
                sid: "PN2".into(),
                phone_number: "+14155559000".into(),
                voice_url: Some("https://demo.twilio.com/welcome/voice/".into()),
                voice_method: Some("POST".into()),
                sms_url: None,
                sms_method: Some("POST".into()),
                voice_application_sid: None,
                sms_application_sid: Some("AP9".into()),
                trunk_sid: None,
            })
        );
        let empty = parse_incoming_number_page(reply(
            200,
            r#"{"incoming_phone_numbers": [], "next_page_uri": null, "page": 0}"#,
        ))
        .unwrap();
        assert_eq!(empty.take(&number("+14155559000")), None);
        let updated = parse_incoming_number(reply(
            200,
            r#"{"sid": "PN2", "phone_number": "+14155559000", "voice_url": "https://calls.example.com/api/webhooks/twilio/voice"}"#,
        ))
        .unwrap();
        assert_eq!(updated.sid, "PN2");
        let missing = parse_incoming_number(reply(
            404,
            r#"{"code": 20404, "message": "The requested resource was not found", "status": 404}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            missing,
            Failure::Final {
                code: Some(20404),
                ..
            }
        ));
        let failing = parse_incoming_number_page(reply(500, "")).unwrap_err();
        assert_eq!(failing.label(), "http-500");
    }
}
