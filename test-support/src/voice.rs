//! Helpers for `POST /api/webhooks/twilio/voice`: Phase 1 and Phase 2 as Twilio sends them, signed
//! by the double (never by the product's own signature code), and the parameters they carry.
use crate::app::{read, Reply, TestApp};
use crate::{CALLER, TWILIO_NUMBER, VOICE_PATH};
use std::time::{SystemTime, UNIX_EPOCH};

impl TestApp {
    /// Posts a voice webhook the way Twilio does: form body, signed by the double over APP_URL +
    /// path + query, so a product that checks signatures wrongly fails here.
    pub async fn post_voice(&self, query: &str, params: &[(&str, &str)]) -> Reply {
        let url = format!("{}{VOICE_PATH}{query}", self.address);
        let signature = self.twilio.sign(&url, params);
        self.post_voice_signed(query, params, Some(&signature))
            .await
    }

    pub async fn post_voice_signed(
        &self,
        query: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> Reply {
        let url = format!("{}{VOICE_PATH}{query}", self.address);
        let mut request = self
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(params).unwrap());
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        read(request).await
    }

    /// Phase 1 for `call_sid` from CALLER to TWILIO_NUMBER.
    pub async fn incoming_call(&self, call_sid: &str) -> Reply {
        self.incoming_call_from(call_sid, CALLER).await
    }

    pub async fn incoming_call_from(&self, call_sid: &str, from: &str) -> Reply {
        self.post_voice("", &call_params_from(call_sid, "ringing", from))
            .await
    }

    /// Phase 2 with `dial_status`, at the action URL Phase 1 would have given.
    pub async fn dial_result(&self, call_sid: &str, dial_status: &str) -> Reply {
        self.dial_result_from(call_sid, CALLER, dial_status).await
    }

    pub async fn dial_result_from(&self, call_sid: &str, from: &str, dial_status: &str) -> Reply {
        self.dial_result_with(call_sid, from, dial_status, false)
            .await
    }

    /// Phase 2 at the action URL of a number with screening on (`screened`) or off.
    pub async fn dial_result_with(
        &self,
        call_sid: &str,
        from: &str,
        dial_status: &str,
        screened: bool,
    ) -> Reply {
        let mut params = call_params_from(call_sid, "in-progress", from);
        let child = format!("CA{}", "f".repeat(32));
        params.extend([
            ("DialCallStatus", dial_status),
            ("DialCallSid", child.as_str()),
            ("DialCallDuration", "0"),
        ]);
        let mut query = dial_query(from, TWILIO_NUMBER);
        if screened {
            query.push_str("&screened=1");
        }
        self.post_voice(&query, &params).await
    }
}

pub fn call_sid(n: u32) -> String {
    format!(
        "CA{:024x}{n:08x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64 as u128
    )
}

/// A caller number of its own for the `n`th call of a test, so texts can be told apart.
pub fn caller(n: u32) -> String {
    format!("+1415666{n:04}")
}

pub fn call_params<'a>(call_sid: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    call_params_from(call_sid, status, CALLER)
}

pub fn call_params_from<'a>(
    call_sid: &'a str,
    status: &'a str,
    from: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Called", TWILIO_NUMBER),
        ("Caller", from),
        ("Direction", "inbound"),
        ("From", from),
        ("To", TWILIO_NUMBER),
    ]
}

pub fn dial_query(from: &str, to: &str) -> String {
    format!(
        "?{}",
        serde_urlencoded::to_string([("mode", "dial-result"), ("origFrom", from), ("origTo", to)])
            .unwrap()
    )
}
