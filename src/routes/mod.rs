//! Which endpoint a request is for: the one routing table, as a plain function over the method and
//! the path, so every 404 and 405 is unit-tested natively. The handlers (one module per endpoint
//! family, wasm-only) parse the request, call a decision and do the I/O it asks for.
//!
//! A new webhook is a `Route` variant, a line in `route()`, and a module here.
use crate::error::ApiError;
use crate::log::Log;

pub const HEALTH_PATH: &str = "/api/health";
pub const VOICE_WEBHOOK_PATH: &str = "/api/webhooks/twilio/voice";
pub const SCREEN_PATH: &str = "/api/webhooks/twilio/screen";
pub const DIAL_STATUS_PATH: &str = "/api/webhooks/twilio/dial-status";
pub const MESSAGE_STATUS_PATH: &str = "/api/webhooks/twilio/message-status";
pub const SMS_WEBHOOK_PATH: &str = "/api/webhooks/twilio/sms";
pub const RECORDING_PATH: &str = "/api/webhooks/twilio/recording";
pub const CHECK_MISSED_CALLS_PATH: &str = "/api/cron/check-missed-calls";
pub const CLEANUP_PATH: &str = "/api/cron/cleanup-old-calls";
pub const NUMBERS_PATH: &str = "/api/admin/numbers";
pub const STATS_PATH: &str = "/api/stats";
pub const DASHBOARD_PATH: &str = "/dashboard";
/// The bare origin, which a person types: redirected to the dashboard.
pub const ROOT_PATH: &str = "/";

/// Must match `[triggers] crons` in wrangler.toml.
pub const POLL_CRON: &str = "*/1 * * * *";
pub const CLEANUP_CRON: &str = "0 4 * * 1";

#[cfg(target_arch = "wasm32")]
pub mod admin;
#[cfg(target_arch = "wasm32")]
pub mod checks;
#[cfg(target_arch = "wasm32")]
pub mod cron;
#[cfg(target_arch = "wasm32")]
pub mod dial_status;
#[cfg(target_arch = "wasm32")]
pub mod health;
#[cfg(target_arch = "wasm32")]
pub mod message_status;
#[cfg(target_arch = "wasm32")]
pub mod recording;
#[cfg(target_arch = "wasm32")]
pub mod screen;
#[cfg(target_arch = "wasm32")]
pub mod sms;
#[cfg(target_arch = "wasm32")]
pub mod stats;
#[cfg(target_arch = "wasm32")]
pub mod voice;

/// The request methods the routes tell apart; anything else is answered 405.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Other,
}

/// A scheduled job, reachable by its cron trigger and by its bearer-protected endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    CheckMissedCalls,
    Cleanup,
}

impl Job {
    /// Which job a cron trigger fired for; `None` for a string wrangler.toml does not name.
    pub fn for_cron(cron: &str) -> Option<Job> {
        match cron {
            POLL_CRON => Some(Job::CheckMissedCalls),
            CLEANUP_CRON => Some(Job::Cleanup),
            _ => None,
        }
    }
}

/// The admin API's requests on business numbers; the path segment is the number as sent
/// (`+1415…`, or `%2B1415…` decoded), parsed by the handler after the bearer check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumbersRequest {
    List,
    Get(String),
    Put(String),
    Delete(String),
    /// `POST …/{e164}/sync`: point the number at this deployment.
    Sync(String),
}

/// The last segment of `/api/admin/numbers/{e164}/sync`.
const SYNC_SEGMENT: &str = "sync";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Voice,
    Screen,
    DialStatus,
    MessageStatus,
    Sms,
    /// A voicemail's recording status callback, and what the caller hears after the message.
    Recording,
    Cron(Job),
    Numbers(NumbersRequest),
    /// `/api/stats`: the KPIs as JSON (bearer).
    Stats,
    /// `/dashboard`: the KPIs as a page (HTTP Basic).
    Dashboard,
    /// `/`: a redirect to the dashboard.
    Root,
}

/// The log tags of the endpoint families; the handlers log under the same ones.
pub const HEALTH_LOG: Log = Log("[Health]");
pub const VOICE_LOG: Log = Log("[Voice]");
pub const CRON_LOG: Log = Log("[Cron]");
pub const MESSAGE_STATUS_LOG: Log = Log("[Message Status]");
pub const ADMIN_LOG: Log = Log("[Admin]");
pub const STATS_LOG: Log = Log("[Stats]");
/// A request no route takes.
pub const ROUTER_LOG: Log = Log("[Router]");

impl Route {
    /// The tag of the log lines about this route's failures.
    pub fn log(&self) -> Log {
        match self {
            Route::Health => HEALTH_LOG,
            Route::Voice | Route::Screen | Route::DialStatus | Route::Recording => VOICE_LOG,
            Route::MessageStatus => MESSAGE_STATUS_LOG,
            Route::Sms => crate::conversation::LOG,
            Route::Cron(_) => CRON_LOG,
            Route::Numbers(_) => ADMIN_LOG,
            Route::Stats | Route::Dashboard | Route::Root => STATS_LOG,
        }
    }
}

/// Paths are matched exactly: Twilio signs the URL it was given, so `/voice/` is not `/voice`.
pub fn route(method: Method, path: &str) -> Result<Route, ApiError> {
    let only = |allowed: Method, allow: &'static str, route: Route| {
        if method == allowed {
            Ok(route)
        } else {
            Err(ApiError::MethodNotAllowed { allow })
        }
    };
    match path {
        HEALTH_PATH => only(Method::Get, "GET", Route::Health),
        VOICE_WEBHOOK_PATH => only(Method::Post, "POST", Route::Voice),
        SCREEN_PATH => only(Method::Post, "POST", Route::Screen),
        DIAL_STATUS_PATH => only(Method::Post, "POST", Route::DialStatus),
        MESSAGE_STATUS_PATH => only(Method::Post, "POST", Route::MessageStatus),
        SMS_WEBHOOK_PATH => only(Method::Post, "POST", Route::Sms),
        RECORDING_PATH => only(Method::Post, "POST", Route::Recording),
        CHECK_MISSED_CALLS_PATH => only(Method::Get, "GET", Route::Cron(Job::CheckMissedCalls)),
        CLEANUP_PATH => only(Method::Delete, "DELETE", Route::Cron(Job::Cleanup)),
        NUMBERS_PATH => only(Method::Get, "GET", Route::Numbers(NumbersRequest::List)),
        STATS_PATH => only(Method::Get, "GET", Route::Stats),
        DASHBOARD_PATH => only(Method::Get, "GET", Route::Dashboard),
        ROOT_PATH => only(Method::Get, "GET", Route::Root),
        _ => match path
            .strip_prefix(NUMBERS_PATH)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            Some(segment) if !segment.is_empty() && !segment.contains('/') => {
                let number = decode_plus(segment);
                let request = match method {
                    Method::Get => NumbersRequest::Get(number),
                    Method::Put => NumbersRequest::Put(number),
                    Method::Delete => NumbersRequest::Delete(number),
                    _ => {
                        return Err(ApiError::MethodNotAllowed {
                            allow: "GET, PUT, DELETE",
                        })
                    }
                };
                Ok(Route::Numbers(request))
            }
            Some(segments) => match segments.split_once('/') {
                Some((segment, SYNC_SEGMENT)) if !segment.is_empty() => only(
                    Method::Post,
                    "POST",
                    Route::Numbers(NumbersRequest::Sync(decode_plus(segment))),
                ),
                _ => Err(ApiError::NotFound(format!("no route for {path}"))),
            },
            None => Err(ApiError::NotFound(format!("no route for {path}"))),
        },
    }
}

/// A number in a path may arrive as `+1415…` or percent-encoded as `%2B1415…`.
fn decode_plus(segment: &str) -> String {
    segment.replace("%2B", "+").replace("%2b", "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Other,
    ];

    #[test]
    fn every_endpoint_has_its_method() {
        let cases = [
            (Method::Get, HEALTH_PATH, Route::Health),
            (Method::Post, VOICE_WEBHOOK_PATH, Route::Voice),
            (Method::Post, SCREEN_PATH, Route::Screen),
            (Method::Post, DIAL_STATUS_PATH, Route::DialStatus),
            (Method::Post, MESSAGE_STATUS_PATH, Route::MessageStatus),
            (Method::Post, SMS_WEBHOOK_PATH, Route::Sms),
            (Method::Post, RECORDING_PATH, Route::Recording),
            (
                Method::Get,
                CHECK_MISSED_CALLS_PATH,
                Route::Cron(Job::CheckMissedCalls),
            ),
            (Method::Delete, CLEANUP_PATH, Route::Cron(Job::Cleanup)),
            (
                Method::Get,
                NUMBERS_PATH,
                Route::Numbers(NumbersRequest::List),
            ),
            (Method::Get, STATS_PATH, Route::Stats),
            (Method::Get, DASHBOARD_PATH, Route::Dashboard),
            (Method::Get, ROOT_PATH, Route::Root),
        ];
        for (method, path, expected) in cases {
            assert_eq!(route(method, path), Ok(expected.clone()), "{path}");
            for other in ALL.into_iter().filter(|m| *m != method) {
                let Err(ApiError::MethodNotAllowed { allow }) = route(other, path) else {
                    panic!("{other:?} {path} should be 405");
                };
                assert_eq!(allow, format!("{method:?}").to_uppercase(), "{path}");
            }
        }
    }

    #[test]
    fn a_number_path_takes_get_put_delete() {
        let path = "/api/admin/numbers/+14155559000";
        let number = || "+14155559000".to_string();
        assert_eq!(
            route(Method::Get, path),
            Ok(Route::Numbers(NumbersRequest::Get(number())))
        );
        assert_eq!(
            route(Method::Put, path),
            Ok(Route::Numbers(NumbersRequest::Put(number())))
        );
        assert_eq!(
            route(Method::Delete, path),
            Ok(Route::Numbers(NumbersRequest::Delete(number())))
        );
        for method in [Method::Post, Method::Other] {
            assert_eq!(
                route(method, path),
                Err(ApiError::MethodNotAllowed {
                    allow: "GET, PUT, DELETE"
                })
            );
        }
    }

    #[test]
    fn a_numbers_sync_path_takes_post_only() {
        for (path, number) in [
            ("/api/admin/numbers/+14155559000/sync", "+14155559000"),
            ("/api/admin/numbers/%2B14155559000/sync", "+14155559000"),
            ("/api/admin/numbers/4155559000/sync", "4155559000"),
        ] {
            assert_eq!(
                route(Method::Post, path),
                Ok(Route::Numbers(NumbersRequest::Sync(number.into()))),
                "{path}"
            );
            for method in [Method::Get, Method::Put, Method::Delete, Method::Other] {
                assert_eq!(
                    route(method, path),
                    Err(ApiError::MethodNotAllowed { allow: "POST" }),
                    "{method:?} {path}"
                );
            }
        }
    }

    #[test]
    fn an_encoded_plus_is_a_plus() {
        for path in [
            "/api/admin/numbers/%2B14155559000",
            "/api/admin/numbers/%2b14155559000",
        ] {
            assert_eq!(
                route(Method::Get, path),
                Ok(Route::Numbers(NumbersRequest::Get("+14155559000".into())))
            );
        }
        // Anything else is passed on as sent, for the handler to reject with a reason.
        assert_eq!(
            route(Method::Get, "/api/admin/numbers/4155559000"),
            Ok(Route::Numbers(NumbersRequest::Get("4155559000".into())))
        );
    }

    #[test]
    fn unknown_paths_and_trailing_slashes_are_404() {
        for path in [
            "",
            "//",
            "/dashboard/",
            "/Dashboard",
            "/api/stats/",
            "/api/statsx",
            "/index.html",
            "/api/nothing-here",
            "/api/health/",
            "/api/webhooks/twilio/voice/",
            "/api/webhooks/twilio/recording/",
            "/api/webhooks/twilio/recordings",
            "/api/admin/numbers/",
            "/api/admin/numbers//",
            "/api/admin/numbers/+14155559000/",
            "/api/admin/numbers/+14155559000/extra",
            "/api/admin/numbers/+14155559000/sync/",
            "/api/admin/numbers/+14155559000/sync/extra",
            "/api/admin/numbers/+14155559000/Sync",
            "/api/admin/numbers/+14155559000/syncx",
            "/api/admin/numbers//sync",
            "/api/admin/numbersx",
            "/API/HEALTH",
        ] {
            for method in ALL {
                assert_eq!(
                    route(method, path),
                    Err(ApiError::NotFound(format!("no route for {path}"))),
                    "{method:?} {path:?}"
                );
            }
        }
    }

    #[test]
    fn cron_strings_name_their_jobs() {
        assert_eq!(Job::for_cron("*/1 * * * *"), Some(Job::CheckMissedCalls));
        assert_eq!(Job::for_cron("0 4 * * 1"), Some(Job::Cleanup));
        for unknown in ["* * * * *", "*/1  * * * *", "", "0 4 * * MON"] {
            assert_eq!(Job::for_cron(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_cron_strings_are_the_ones_wrangler_toml_schedules() {
        let toml = include_str!("../../wrangler.toml");
        let line = toml
            .lines()
            .find(|l| l.starts_with("crons"))
            .expect("wrangler.toml schedules crons");
        assert_eq!(
            line,
            format!("crons = [{POLL_CRON:?}, {CLEANUP_CRON:?}]"),
            "wrangler.toml and routes::Job disagree"
        );
    }
}
