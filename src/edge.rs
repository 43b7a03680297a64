//! The worker's thin edge (wasm only): outbound fetch with a timeout, the clock, reading the
//! environment, and writing a `Reply` or an `ApiError` out as the runtime's response.
use crate::config::{required_secret, Config, ConfigError, Secret};
use crate::error::{check_basic, check_bearer, ApiError, Reply};
use crate::http::{HttpClient, InboundResponse, Method, OutboundRequest, TransportError};
use crate::log::Log;
use crate::routes;
use futures::future::{select, Either};
use std::future::Future;
use std::time::Duration;
use worker::{Date, Delay, Env, Fetch, Headers, Request, RequestInit, Response};

/// Twilio API calls are bounded: a slow Twilio must never hold a run or an isolate hostage.
pub const TWILIO_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn with_timeout<F: Future>(limit: Duration, work: F) -> Option<F::Output> {
    let work = std::pin::pin!(work);
    match select(work, Delay::from(limit)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

/// What the endpoints a person or a script calls with `ADMIN_TOKEN` (the admin API, the statistics,
/// the dashboard) give their connection and statements: seconds at most when the database is well;
/// past this they answer 503 rather than hold the client.
pub const ADMIN_DATABASE_BUDGET: Duration = Duration::from_secs(10);

/// Database work given at most `limit`; past it, a 503 naming the database.
pub async fn bounded_by_database<T>(
    limit: Duration,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    with_timeout(limit, work).await.unwrap_or_else(|| {
        Err(ApiError::Unavailable {
            dependency: "database",
            reason: format!("no answer within {} s", limit.as_secs()),
        })
    })
}

pub fn now_ms() -> u64 {
    Date::now().as_millis()
}

pub struct WorkerFetch;

impl HttpClient for WorkerFetch {
    async fn send(&self, request: OutboundRequest) -> Result<InboundResponse, TransportError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers
                .set(name, value)
                .map_err(|e| TransportError::Connection(e.to_string()))?;
        }
        let mut init = RequestInit::new();
        init.with_method(match request.method {
            Method::Get => worker::Method::Get,
            Method::Post => worker::Method::Post,
        })
        .with_headers(headers)
        .with_body(request.body.map(|b| b.into()));
        let outbound = Request::new_with_init(&request.url, &init)
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        let exchange = async {
            let mut response = Fetch::Request(outbound)
                .send()
                .await
                .map_err(|e| TransportError::Connection(e.to_string()))?;
            let body = response
                .text()
                .await
                .map_err(|e| TransportError::Connection(e.to_string()))?;
            Ok(InboundResponse {
                status: response.status_code(),
                body,
            })
        };
        with_timeout(TWILIO_TIMEOUT, exchange)
            .await
            .unwrap_or(Err(TransportError::Timeout))
    }
}

/// The settings, read from the environment. Settings that fell back to defaults are one loud
/// log line per invocation; `/api/health` reports them as 503 until they are fixed.
pub fn load_config(env: &Env) -> Result<Config, ConfigError> {
    let config = Config::from_lookup(|name| {
        env.secret(name)
            .map(|s| s.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
    })?;
    if !config.problems.is_empty() {
        crate::error!(
            CONFIG_LOG,
            "WARNING: running on defaults for broken settings: {}",
            config
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(config)
}

/// Where settings problems are logged.
pub const CONFIG_LOG: Log = Log("[Config]");

/// A bearer token the endpoint needs, checked against the request.
pub fn require_token(
    request: &Request,
    token: &Option<Secret>,
    setting: &'static str,
) -> Result<(), ApiError> {
    require(request, token, setting, check_bearer)
}

/// HTTP Basic credentials for a page a person opens: any user name, the token as the password.
pub fn require_login(
    request: &Request,
    token: &Option<Secret>,
    setting: &'static str,
) -> Result<(), ApiError> {
    require(request, token, setting, check_basic)
}

/// The request's `Authorization` checked against the token by `check`; 503 naming the setting
/// when it is not set.
fn require(
    request: &Request,
    token: &Option<Secret>,
    setting: &'static str,
    check: fn(Option<&str>, &Secret) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    check(
        header(request, "Authorization").as_deref(),
        required_secret(token, setting)?,
    )
}

pub fn method(request: &Request) -> routes::Method {
    match request.method() {
        worker::Method::Get => routes::Method::Get,
        worker::Method::Post => routes::Method::Post,
        worker::Method::Put => routes::Method::Put,
        worker::Method::Delete => routes::Method::Delete,
        _ => routes::Method::Other,
    }
}

pub fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::Internal(format!("runtime error: {error}"))
    }
}

/// The one place a handler's result becomes a response; server-side failures are logged under
/// the route's tag (a missing setting under `[Config]`).
pub fn respond(outcome: Result<Reply, ApiError>, log: Log) -> worker::Result<Response> {
    let reply = match outcome {
        Ok(reply) => reply,
        Err(error) => {
            match &error {
                ApiError::Config(problem) => crate::error!(CONFIG_LOG, "{problem}"),
                other if other.is_server_side() => crate::error!(log, "{other}"),
                _ => {}
            }
            error.reply()
        }
    };
    let headers = Headers::new();
    headers.set("Content-Type", reply.content_type)?;
    for (name, value) in &reply.headers {
        headers.set(name, value)?;
    }
    Ok(Response::ok(reply.body)?
        .with_status(reply.status)
        .with_headers(headers))
}
