//! The IncomingPhoneNumbers resource: the account's own numbers and where each sends its calls and
//! texts, so the worker's sync can find a number by `PhoneNumber` and point it somewhere with a
//! POST. Tests give the account numbers (`own_number`), bend them (`set_number_field`: a TwiML App,
//! a trunk) and read back what the worker left there (`number_resource`).
use crate::api::{json, paged, twilio_error};
use crate::{dates, RecordedRequest, TwilioDouble, API_PREFIX};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;

/// Where Twilio points a number it has just sold: its demo TwiML.
const DEMO_VOICE_URL: &str = "https://demo.twilio.com/welcome/voice/";
const DEMO_SMS_URL: &str = "https://demo.twilio.com/welcome/sms/reply/";

impl TwilioDouble {
    /// Gives the account `phone_number`, configured as Twilio configures a number it has just
    /// sold (its demo URLs, no app, no trunk), and returns its `PN…` SID.
    pub fn own_number(&self, phone_number: &str) -> String {
        let sid = self.next_sid("PN");
        let now = dates::rfc2822(time::OffsetDateTime::now_utc());
        let account = &self.account_sid;
        let uri = format!("{API_PREFIX}{account}/IncomingPhoneNumbers/{sid}.json");
        // Field for field what Twilio answers, its mix of "" and null for unset fields included.
        let resource = serde_json::json!({
            "account_sid": account,
            "address_requirements": "none",
            "address_sid": null,
            "api_version": "2010-04-01",
            "beta": false,
            "bundle_sid": null,
            "capabilities": { "fax": false, "mms": true, "sms": true, "voice": true },
            "date_created": now,
            "date_updated": now,
            "emergency_address_sid": null,
            "emergency_address_status": "unregistered",
            "emergency_status": "Active",
            "friendly_name": phone_number,
            "identity_sid": null,
            "origin": "twilio",
            "phone_number": phone_number,
            "sid": sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": DEMO_SMS_URL,
            "status": "in-use",
            "status_callback": "",
            "status_callback_method": "POST",
            "subresource_uris": {
                "assigned_add_ons": uri.replace(".json", "/AssignedAddOns.json"),
            },
            "trunk_sid": null,
            "uri": uri,
            "voice_application_sid": "",
            "voice_caller_id_lookup": false,
            "voice_fallback_method": "POST",
            "voice_fallback_url": "",
            "voice_method": "POST",
            "voice_receive_mode": "voice",
            "voice_url": DEMO_VOICE_URL,
        });
        self.state().numbers.push(resource);
        sid
    }

    /// Sets a field of number `sid` as the console would (`voice_application_sid` to `"AP…"`,
    /// `trunk_sid`, `voice_url` …).
    ///
    /// Panics when the account has no such number.
    pub fn set_number_field(&self, sid: &str, field: &str, value: impl Into<serde_json::Value>) {
        let mut state = self.state();
        let number = state
            .numbers
            .iter_mut()
            .find(|number| number["sid"] == sid)
            .unwrap_or_else(|| panic!("the double owns no number {sid}"));
        number[field] = value.into();
    }

    /// Number `sid` as Twilio's API shows it.
    ///
    /// Panics when the account has no such number.
    pub fn number_resource(&self, sid: &str) -> serde_json::Value {
        self.find_number(sid)
            .unwrap_or_else(|| panic!("the double owns no number {sid}"))
    }

    /// The next `times` IncomingPhoneNumbers requests answer 500.
    pub fn fail_number_requests(&self, times: u32) {
        self.state().failing_number_requests = times;
    }

    fn find_number(&self, sid: &str) -> Option<serde_json::Value> {
        let state = self.state();
        state.numbers.iter().find(|n| n["sid"] == sid).cloned()
    }

    fn number_request_should_fail(&self) -> bool {
        let mut state = self.state();
        let fail = state.failing_number_requests > 0;
        state.failing_number_requests = state.failing_number_requests.saturating_sub(1);
        fail
    }
}

/// `GET …/IncomingPhoneNumbers.json`: the account's numbers, oldest first, `PhoneNumber` matching
/// as Twilio matches it (any part of the number), `PageSize` and `Page` paging through them.
pub(crate) async fn list_numbers(
    State(double): State<TwilioDouble>,
    Extension(request): Extension<RecordedRequest>,
) -> Response {
    if double.number_request_should_fail() {
        return twilio_error(500, 20500, "Internal Server Error");
    }
    let wanted = request.query_value("PhoneNumber");
    let listed: Vec<serde_json::Value> = double
        .state()
        .numbers
        .iter()
        .filter(|number| {
            wanted.is_none_or(|wanted| {
                number["phone_number"]
                    .as_str()
                    .is_some_and(|own| own.contains(wanted))
            })
        })
        .cloned()
        .collect();
    paged(
        &double,
        &request,
        "IncomingPhoneNumbers.json",
        "incoming_phone_numbers",
        listed,
    )
}

/// `GET …/IncomingPhoneNumbers/PN….json`.
pub(crate) async fn fetch_number(
    State(double): State<TwilioDouble>,
    Path((_account, number)): Path<(String, String)>,
) -> Response {
    if double.number_request_should_fail() {
        return twilio_error(500, 20500, "Internal Server Error");
    }
    let sid = number.strip_suffix(".json").unwrap_or_default();
    match double.find_number(sid) {
        Some(resource) => json(200, resource),
        None => unknown_number(&double, &number),
    }
}

/// `POST …/IncomingPhoneNumbers/PN….json`: each parameter given (`VoiceUrl`, `SmsMethod`,
/// `VoiceApplicationSid` …) sets its field (`voice_url`, `sms_method` …); parameters the resource
/// has no field for are ignored, as Twilio ignores them. Answers the whole resource.
pub(crate) async fn update_number(
    State(double): State<TwilioDouble>,
    Path((_account, number)): Path<(String, String)>,
    Extension(request): Extension<RecordedRequest>,
) -> Response {
    if double.number_request_should_fail() {
        return twilio_error(500, 20500, "Internal Server Error");
    }
    let sid = number.strip_suffix(".json").unwrap_or_default();
    let mut state = double.state();
    let Some(resource) = state.numbers.iter_mut().find(|n| n["sid"] == sid) else {
        return unknown_number(&double, &number);
    };
    for (name, value) in &request.form {
        let field = snake_case(name);
        if let Some(slot) = resource.get_mut(&field) {
            *slot = value.as_str().into();
        }
    }
    resource["date_updated"] = dates::rfc2822(time::OffsetDateTime::now_utc()).into();
    json(200, resource.clone())
}

/// Twilio's 404 (20404) for a number the account does not own, naming the resource as asked.
fn unknown_number(double: &TwilioDouble, path_segment: &str) -> Response {
    let account = &double.account_sid;
    let message = format!(
        "The requested resource {API_PREFIX}{account}/IncomingPhoneNumbers/{path_segment} was \
         not found"
    );
    twilio_error(404, 20404, &message)
}

/// Twilio's parameter name as its JSON field name: `VoiceApplicationSid` → `voice_application_sid`.
fn snake_case(parameter: &str) -> String {
    let mut field = String::with_capacity(parameter.len() + 4);
    for (at, c) in parameter.char_indices() {
        if c.is_ascii_uppercase() && at > 0 {
            field.push('_');
        }
        field.push(c.to_ascii_lowercase());
    }
    field
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn parameters_become_field_names() {
        for (parameter, field) in [
            ("VoiceUrl", "voice_url"),
            ("SmsMethod", "sms_method"),
            ("VoiceApplicationSid", "voice_application_sid"),
            ("TrunkSid", "trunk_sid"),
            ("FriendlyName", "friendly_name"),
        ] {
            assert_eq!(snake_case(parameter), field);
        }
    }
}
