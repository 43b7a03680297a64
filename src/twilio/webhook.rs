//! What Twilio posts to a webhook: form parameters (and the URL's own query), read once, and the
//! decision whether to trust them, from `X-Twilio-Signature` and `APP_URL` alone.
use crate::config::{is_loopback, Secret};
use crate::twilio::signature;

/// Name/value pairs in the order they came (a form body or a query string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Reads `application/x-www-form-urlencoded` text; `what` names it in the error.
    pub fn parse(raw: &str, what: &str) -> Result<Params, String> {
        serde_urlencoded::from_str(raw)
            .map(Params)
            .map_err(|e| format!("{what} is not form-encoded: {e}"))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be there and not empty.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("missing form parameter {name}"))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Signed by Twilio with our auth token.
    Signed,
    /// Unsigned, and accepted only because APP_URL is a loopback address (local development).
    UnsignedOnLoopback,
    /// A signature that does not match.
    BadSignature,
    /// No signature, on a public APP_URL.
    Unsigned,
}

/// Twilio signs the URL it was given: `APP_URL` + the path + the query as sent, never the request
/// line a proxy may have rewritten.
pub fn trust(
    auth_token: &Secret,
    app_url: &str,
    path_and_query: &str,
    form: &Params,
    header: Option<&str>,
) -> Trust {
    match header {
        Some(header) => {
            let url = format!("{app_url}{path_and_query}");
            if signature::is_valid(auth_token.expose(), &url, form.pairs(), header) {
                Trust::Signed
            } else {
                Trust::BadSignature
            }
        }
        None if is_loopback(app_url) => Trust::UnsignedOnLoopback,
        None => Trust::Unsigned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Params {
        Params::parse("CallSid=CA1&From=%2B14155550123&To=%2B14155559000", "body").unwrap()
    }

    #[test]
    fn reads_form_parameters() {
        let form = form();
        assert_eq!(form.get("From"), Some("+14155550123"));
        assert_eq!(form.required("CallSid"), Ok("CA1"));
        assert_eq!(form.get("Nothing"), None);
        let empty = Params::parse("CallSid=", "body").unwrap();
        assert_eq!(
            empty.required("CallSid"),
            Err("missing form parameter CallSid".to_string())
        );
        let plus = Params::parse("To=+14155559000&From=%2B14155550123", "body").unwrap();
        assert_eq!(plus.get("To"), Some(" 14155559000"), "a raw + is a space");
        assert_eq!(plus.get("From"), Some("+14155550123"));
    }

    #[test]
    fn trusts_only_a_matching_signature_or_a_loopback_app() {
        let token = Secret::new("token");
        let app = "https://calls.example.com";
        let path = "/api/webhooks/twilio/voice?mode=dial-result";
        let good = signature::compute("token", &format!("{app}{path}"), form().pairs());
        assert_eq!(
            trust(&token, app, path, &form(), Some(&good)),
            Trust::Signed
        );
        assert_eq!(
            trust(
                &token,
                app,
                "/api/webhooks/twilio/voice",
                &form(),
                Some(&good)
            ),
            Trust::BadSignature
        );
        assert_eq!(
            trust(&Secret::new("other"), app, path, &form(), Some(&good)),
            Trust::BadSignature
        );
        assert_eq!(trust(&token, app, path, &form(), None), Trust::Unsigned);
        assert_eq!(
            trust(&token, "http://127.0.0.1:8787", path, &form(), None),
            Trust::UnsignedOnLoopback
        );
        // On loopback a signature that is there must still be right.
        assert_eq!(
            trust(&token, "http://127.0.0.1:8787", path, &form(), Some("bad")),
            Trust::BadSignature
        );
    }
}
