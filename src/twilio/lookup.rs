//! Twilio Lookup v2, line type only: the request that asks what kind of line a caller has, and how
//! its answer reads. Lookup has a host of its own (`TwilioConfig::lookup_base_url`) but the
//! account's Basic auth and Twilio's error JSON, so failures are `rest::Failure`s like any other.
use crate::config::TwilioConfig;
use crate::domain::line_type::LineType;
use crate::domain::PhoneNumber;
use crate::http::{InboundResponse, Method, OutboundRequest, TransportError};
use crate::twilio::rest::{basic_auth, parse, Failure};
use serde::Deserialize;

/// The one data package asked for; each package is billed, so nothing else is requested.
pub const LINE_TYPE_FIELDS: &str = "line_type_intelligence";

/// Twilio's code for "The requested resource was not found".
pub const NOT_FOUND: u32 = 20404;

/// `GET {lookup_base_url}/v2/PhoneNumbers/{E.164}?Fields=line_type_intelligence`; the `+` is sent
/// as `%2B`, as Twilio's own libraries send it (a bare `+` in a URL may be read as a space).
pub fn lookup_line_type(twilio: &TwilioConfig, phone: &PhoneNumber) -> OutboundRequest {
    // E.164 is a `+` and digits, so the `+` is all there is to encode.
    let number = phone.as_str().replace('+', "%2B");
    OutboundRequest {
        method: Method::Get,
        url: format!(
            "{}/v2/PhoneNumbers/{number}?Fields={LINE_TYPE_FIELDS}",
            twilio.lookup_base_url
        ),
        headers: vec![basic_auth(twilio)],
        body: None,
    }
}

/// The parts of Lookup's answer read here. Twilio writes a package it did not run as `null`.
#[derive(Debug, Deserialize)]
struct PhoneNumberResource {
    #[serde(default)]
    line_type_intelligence: Option<LineTypeIntelligence>,
}

#[derive(Debug, Deserialize)]
struct LineTypeIntelligence {
    #[serde(default, rename = "type")]
    line_type: Option<String>,
    /// Set (e.g. 60600, no coverage) when Twilio could not tell; the type is null then.
    #[serde(default)]
    error_code: Option<serde_json::Value>,
}

/// The line type in a Lookup answer: `Unknown` when the package is absent or `null`, its type is
/// `null`, or it carries an `error_code`. Any non-2xx, an unreadable body or a transport error is a
/// `Failure` (404/20404, an unknown number, is `Final`; 429 and 5xx are `Retryable`).
pub fn parse_line_type(
    response: Result<InboundResponse, TransportError>,
) -> Result<LineType, Failure> {
    let resource: PhoneNumberResource = parse(response, |status, _| {
        matches!(status, 400 | 401 | 403 | 404)
    })?;
    Ok(match resource.line_type_intelligence {
        Some(LineTypeIntelligence {
            line_type: Some(line_type),
            error_code: None | Some(serde_json::Value::Null),
        }) => LineType::parse(&line_type),
        _ => LineType::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::STANDARD, Engine};

    fn twilio() -> TwilioConfig {
        TwilioConfig {
            account_sid: "AC0123456789abcdef0123456789abcdef".to_string(),
            auth_token: crate::config::Secret::new("secret"),
            api_base_url: "http://127.0.0.1:9".to_string(),
            lookup_base_url: "https://lookups.example.com".to_string(),
            message_status_url: "https://calls.example.com/api/webhooks/twilio/message-status"
                .to_string(),
        }
    }

    fn reply(status: u16, body: &str) -> Result<InboundResponse, TransportError> {
        Ok(InboundResponse {
            status,
            body: body.to_string(),
        })
    }

    /// Twilio's answer for a US number, as its documentation shows it, with the given package.
    fn answer(line_type_intelligence: &str) -> String {
        format!(
            r#"{{"calling_country_code": "1", "country_code": "US",
                 "phone_number": "+14159929960", "national_format": "(415) 992-9960",
                 "valid": true, "validation_errors": [], "caller_name": null, "sim_swap": null,
                 "call_forwarding": null, "line_status": null,
                 "line_type_intelligence": {line_type_intelligence},
                 "identity_match": null, "reassigned_number": null, "sms_pumping_risk": null,
                 "phone_number_quality_score": null, "pre_fill": null,
                 "url": "https://lookups.twilio.com/v2/PhoneNumbers/+14159929960"}}"#
        )
    }

    #[test]
    fn builds_the_lookup_on_its_own_host_with_an_encoded_plus() {
        let phone = PhoneNumber::parse("+14159929960").unwrap();
        let request = lookup_line_type(&twilio(), &phone);
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url,
            "https://lookups.example.com/v2/PhoneNumbers/%2B14159929960?Fields=line_type_intelligence"
        );
        assert!(request.body.is_none());
        let [(name, value)] = request.headers.as_slice() else {
            panic!("{:?}", request.headers);
        };
        assert_eq!(name, "Authorization");
        let decoded = STANDARD
            .decode(value.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"AC0123456789abcdef0123456789abcdef:secret");
    }

    #[test]
    fn reads_the_line_type() {
        let cases = [
            (r#""mobile""#, LineType::Mobile),
            (r#""landline""#, LineType::Landline),
            (r#""fixedVoip""#, LineType::FixedVoip),
            (r#""nonFixedVoip""#, LineType::NonFixedVoip),
            (r#""tollFree""#, LineType::TollFree),
            (r#""unknown""#, LineType::Unknown),
            (r#""satellite""#, LineType::Other("satellite".into())),
        ];
        for (type_json, expected) in cases {
            let body = answer(&format!(
                r#"{{"carrier_name": "Some Carrier", "error_code": null,
                     "mobile_country_code": "310", "mobile_network_code": "160",
                     "type": {type_json}}}"#
            ));
            assert_eq!(
                parse_line_type(reply(200, &body)),
                Ok(expected),
                "{type_json}"
            );
        }
    }

    /// Twilio answered, but without a type: the caller is texted (fail open).
    #[test]
    fn an_answer_without_a_type_is_unknown() {
        let no_type = r#"{"carrier_name": null, "error_code": null, "mobile_country_code": null,
                          "mobile_network_code": null, "type": null}"#;
        let with_error = r#"{"carrier_name": null, "error_code": 60600,
                             "mobile_country_code": null, "mobile_network_code": null,
                             "type": null}"#;
        let error_and_type = r#"{"carrier_name": null, "error_code": 60601, "type": "landline"}"#;
        for package in ["null", no_type, with_error, error_and_type] {
            assert_eq!(
                parse_line_type(reply(200, &answer(package))),
                Ok(LineType::Unknown),
                "{package}"
            );
        }
        let absent = r#"{"calling_country_code": null, "country_code": null,
                         "phone_number": "+1415", "national_format": null, "valid": false,
                         "validation_errors": ["TOO_SHORT"], "url": "https://lookups.twilio.com/v2/PhoneNumbers/+1415"}"#;
        assert_eq!(parse_line_type(reply(200, absent)), Ok(LineType::Unknown));
    }

    #[test]
    fn sorts_lookup_failures() {
        let not_found = parse_line_type(reply(
            404,
            r#"{"code": 20404, "message": "The requested resource /PhoneNumbers/+1999 was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            not_found,
            Failure::Final {
                status: 404,
                code: Some(NOT_FOUND),
                ..
            }
        ));
        let unauthorised = parse_line_type(reply(
            401,
            r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            unauthorised,
            Failure::Final {
                code: Some(20003),
                ..
            }
        ));
        let limited = parse_line_type(reply(
            429,
            r#"{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}"#,
        ))
        .unwrap_err();
        assert!(matches!(
            limited,
            Failure::Retryable {
                status: Some(429),
                code: Some(20429),
                ..
            }
        ));
        let server = parse_line_type(reply(
            500,
            r#"{"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}"#,
        ))
        .unwrap_err();
        assert_eq!(server.label(), "20500");
        let bare = parse_line_type(reply(503, "upstream connect error")).unwrap_err();
        assert_eq!(bare.label(), "http-503");
        let unreadable = parse_line_type(reply(200, r#"{"line_type_intelligence": {"ty"#));
        assert!(matches!(unreadable, Err(Failure::Retryable { .. })));
        let timeout = parse_line_type(Err(TransportError::Timeout)).unwrap_err();
        assert_eq!(timeout.label(), "timeout");
    }
}
