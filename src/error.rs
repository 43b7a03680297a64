//! One error type for every endpoint, and the one place it becomes an HTTP answer. Handlers return
//! `Result<Reply, ApiError>` and use `?`; the entry turns the error into its status, JSON body and
//! headers. `Reply` is a plain description of a response; the edge writes it out.
use crate::config::ConfigError;
use crate::database::DbError;
use crate::twilio::number_sync::SyncError;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: value.to_string(),
        }
    }

    pub fn twiml(xml: String) -> Reply {
        Reply {
            status: 200,
            content_type: crate::twilio::twiml::CONTENT_TYPE,
            headers: Vec::new(),
            body: xml,
        }
    }

    /// A page of the worker's own: no script, style only inline, images only as data URIs, no
    /// framing; private figures, so never cached.
    pub fn html(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body,
        }
        .with_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "no-referrer")
        .with_header("Cache-Control", "no-store")
    }

    /// 302 to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: String::new(),
        }
        .with_header("Location", location)
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// The pages' policy: nothing but the page itself, its inline style and data: images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The realm a browser shows when it asks for the dashboard's password.
pub const BASIC_REALM: &str = "Missed-call text-back";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request cannot be read; the reason names the field or part.
    BadRequest(String),
    /// 401: the bearer token is missing or wrong (the two are not told apart).
    Unauthorized,
    /// 401 for a page a person opens: HTTP Basic credentials missing or wrong, so the browser
    /// asks for them (`WWW-Authenticate: Basic`).
    LoginRequired,
    /// 403: a webhook without a valid `X-Twilio-Signature`.
    Forbidden(String),
    NotFound(String),
    /// 409: the resource is in a state that makes the request pointless; the reason says which.
    Conflict(String),
    MethodNotAllowed {
        allow: &'static str,
    },
    /// 503: a setting is missing or malformed; the operator learns which.
    Config(ConfigError),
    /// 503: a dependency (the database) cannot be reached or failed.
    Unavailable {
        dependency: &'static str,
        reason: String,
    },
    /// 502: a service we act on (Twilio) refused, failed or did not answer in time. Not 503,
    /// which says that this deployment itself (its database, its settings) is unavailable.
    Upstream {
        service: &'static str,
        reason: String,
    },
    /// 500: the runtime failed us (an unreadable body stream, a header it refused).
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized | ApiError::LoginRequired => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Config(_) | ApiError::Unavailable { .. } => 503,
            ApiError::Upstream { .. } => 502,
            ApiError::Internal(_) => 500,
        }
    }

    /// Whether the operator should hear of it: the server's side failed, not the client's.
    pub fn is_server_side(&self) -> bool {
        self.status() >= 500
    }

    pub fn reply(&self) -> Reply {
        let body = match self {
            ApiError::Config(problem) => serde_json::json!({
                "status": "error",
                "error": format!("configuration incomplete: {problem}"),
            }),
            other => serde_json::json!({ "error": other.to_string() }),
        };
        let reply = Reply::json(self.status(), &body);
        match self {
            ApiError::Unauthorized => reply.with_header("WWW-Authenticate", "Bearer"),
            ApiError::LoginRequired => reply.with_header(
                "WWW-Authenticate",
                format!("Basic realm=\"{BASIC_REALM}\", charset=\"UTF-8\""),
            ),
            ApiError::MethodNotAllowed { allow } => reply.with_header("Allow", *allow),
            _ => reply,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::BadRequest(reason)
            | ApiError::Forbidden(reason)
            | ApiError::NotFound(reason)
            | ApiError::Conflict(reason)
            | ApiError::Internal(reason) => f.write_str(reason),
            ApiError::Unauthorized => f.write_str("missing or invalid bearer token"),
            ApiError::LoginRequired => f.write_str("missing or invalid credentials"),
            ApiError::MethodNotAllowed { allow } => write!(f, "method not allowed; use {allow}"),
            ApiError::Config(problem) => write!(f, "{problem}"),
            ApiError::Unavailable { dependency, reason } => {
                write!(f, "{dependency} unavailable: {reason}")
            }
            ApiError::Upstream { service, reason } => write!(f, "{service} failed: {reason}"),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        ApiError::Unavailable {
            dependency: "database",
            reason: error.to_string(),
        }
    }
}

/// Not the account's number: 404; an app or a trunk in the way: 409; Twilio failing: 502.
impl From<SyncError> for ApiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::NotOwned(_) => ApiError::NotFound(error.to_string()),
            SyncError::Overridden { .. } => ApiError::Conflict(error.to_string()),
            SyncError::Twilio(_) => ApiError::Upstream {
                service: "Twilio",
                reason: error.to_string(),
            },
        }
    }
}

impl From<ConfigError> for ApiError {
    fn from(problem: ConfigError) -> Self {
        ApiError::Config(problem)
    }
}

/// Bearer-token check with a constant-time compare. Missing and wrong tokens both get 401 so a
/// prober learns nothing from the difference. `header` is the `Authorization` header as sent.
pub fn check_bearer(
    header: Option<&str>,
    expected: &crate::config::Secret,
) -> Result<(), ApiError> {
    let presented = header.and_then(|h| h.strip_prefix("Bearer "));
    let valid = presented.is_some_and(|token| {
        crate::twilio::signature::constant_time_eq(
            token.trim().as_bytes(),
            expected.expose().as_bytes(),
        )
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// HTTP Basic check for pages a person opens: any user name, `expected` as the password, compared
/// in constant time. Missing, malformed and wrong credentials are all the same 401.
pub fn check_basic(header: Option<&str>, expected: &crate::config::Secret) -> Result<(), ApiError> {
    use base64::Engine;
    let password = header
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Basic"))
        .and_then(|(_, encoded)| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|decoded| {
            let colon = decoded.iter().position(|b| *b == b':')?;
            Some(decoded[colon + 1..].to_vec())
        });
    let valid = password.is_some_and(|password| {
        crate::twilio::signature::constant_time_eq(&password, expected.expose().as_bytes())
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::LoginRequired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn each_error_has_its_status_body_and_headers() {
        let unauthorized = ApiError::Unauthorized.reply();
        assert_eq!(unauthorized.status, 401);
        assert_eq!(header(&unauthorized, "WWW-Authenticate"), Some("Bearer"));
        let not_allowed = ApiError::MethodNotAllowed { allow: "GET" }.reply();
        assert_eq!(not_allowed.status, 405);
        assert_eq!(header(&not_allowed, "Allow"), Some("GET"));
        assert_eq!(
            not_allowed.body,
            r#"{"error":"method not allowed; use GET"}"#
        );
        let bad = ApiError::BadRequest("forward_to: not E.164".into()).reply();
        assert_eq!((bad.status, bad.content_type), (400, "application/json"));
        assert_eq!(bad.body, r#"{"error":"forward_to: not E.164"}"#);
        let db: ApiError = DbError("connection refused".into()).into();
        assert_eq!(db.status(), 503);
        assert!(db.is_server_side());
        assert_eq!(
            db.reply().body,
            r#"{"error":"database unavailable: connection refused"}"#
        );
        let config: ApiError = ConfigError {
            setting: "CRON_SECRET",
            problem: "is not set".into(),
        }
        .into();
        let reply = config.reply();
        assert_eq!(reply.status, 503);
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body["status"], "error");
        assert_eq!(
            body["error"],
            "configuration incomplete: setting CRON_SECRET: is not set"
        );
        assert!(!ApiError::NotFound("x".into()).is_server_side());
    }

    #[test]
    fn a_failed_sync_says_whose_side_it_is() {
        let number = crate::domain::PhoneNumber::parse("+14155559000").unwrap();
        let not_owned: ApiError = SyncError::NotOwned(number).into();
        assert_eq!(not_owned.status(), 404);
        assert!(not_owned
            .to_string()
            .contains("not a number of this Twilio account"));
        let twilio: ApiError = SyncError::Twilio(crate::twilio::rest::Failure::Retryable {
            status: Some(500),
            code: Some(20500),
            message: "Internal Server Error".into(),
        })
        .into();
        assert_eq!(twilio.status(), 502);
        assert!(twilio.is_server_side());
        assert_eq!(
            twilio.reply().body,
            r#"{"error":"Twilio failed: IncomingPhoneNumbers: 20500 (Internal Server Error)"}"#
        );
        let conflict = ApiError::Conflict("an app is in the way".into());
        assert_eq!(conflict.status(), 409);
        assert!(!conflict.is_server_side());
    }

    #[test]
    fn basic_auth_takes_any_user_and_the_password() {
        use base64::Engine;
        let encode = |pair: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        let secret = Secret::new("s3cret");
        for good in [
            encode("owner:s3cret"),
            encode(":s3cret"),
            encode("anyone at all:s3cret"),
            encode("owner:s3cret").replace("Basic", "basic"),
        ] {
            assert_eq!(check_basic(Some(&good), &secret), Ok(()), "{good}");
        }
        for wrong in [
            None,
            Some(String::new()),
            Some("Basic".into()),
            Some("Basic ".into()),
            Some("Basic !!!not-base64".into()),
            Some(encode("owner:s3cre")),
            Some(encode("owner:s3cretx")),
            Some(encode("owner")),
            Some(encode("s3cret")),
            Some(encode("s3cret:owner")),
            // The password is everything after the first colon.
            Some(encode("owner:x:s3cret")),
            Some("Bearer s3cret".into()),
            Some(encode("owner:s3cret").replace("Basic ", "Bearer ")),
        ] {
            assert_eq!(
                check_basic(wrong.as_deref(), &secret),
                Err(ApiError::LoginRequired),
                "{wrong:?}"
            );
        }
        let reply = ApiError::LoginRequired.reply();
        assert_eq!(reply.status, 401);
        assert_eq!(
            header(&reply, "WWW-Authenticate"),
            Some(r#"Basic realm="Missed-call text-back", charset="UTF-8""#)
        );
    }

    #[test]
    fn pages_carry_a_strict_policy_and_redirects_a_location() {
        let page = Reply::html("<p>hi</p>".into());
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert_eq!(
            header(&page, "Content-Security-Policy"),
            Some(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
                 form-action 'none'; frame-ancestors 'none'"
            )
        );
        assert_eq!(header(&page, "Cache-Control"), Some("no-store"));
        let redirect = Reply::redirect("/dashboard");
        assert_eq!(redirect.status, 302);
        assert_eq!(header(&redirect, "Location"), Some("/dashboard"));
    }

    #[test]
    fn bearer_must_match_exactly() {
        let secret = Secret::new("s3cret");
        assert_eq!(check_bearer(Some("Bearer s3cret"), &secret), Ok(()));
        assert_eq!(check_bearer(Some("Bearer s3cret "), &secret), Ok(()));
        for wrong in [
            None,
            Some(""),
            Some("s3cret"),
            Some("Bearer "),
            Some("Bearer s3cre"),
            Some("Bearer s3cretx"),
            Some("Basic s3cret"),
            Some("bearer s3cret"),
        ] {
            assert_eq!(
                check_bearer(wrong, &secret),
                Err(ApiError::Unauthorized),
                "{wrong:?}"
            );
        }
    }
}
