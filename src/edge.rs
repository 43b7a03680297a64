//! The worker's thin edge: outbound fetch, timeouts, reading the environment, building responses.
use crate::config::{Config, ConfigError};
use crate::http::{HttpClient, InboundResponse, Method, OutboundRequest, TransportError};
use futures::future::{select, Either};
use std::future::Future;
use std::time::Duration;
use worker::{Delay, Env, Fetch, Headers, Request, RequestInit, Response};

/// Twilio API calls are bounded: a slow Twilio must never hold a run or an isolate hostage.
pub const TWILIO_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn with_timeout<F: Future>(limit: Duration, work: F) -> Option<F::Output> {
    let work = std::pin::pin!(work);
    match select(work, Delay::from(limit)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
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

pub fn load_config(env: &Env) -> Result<Config, ConfigError> {
    Config::from_lookup(|name| {
        env.secret(name)
            .map(|s| s.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
    })
}

pub fn json(status: u16, value: &serde_json::Value) -> worker::Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

pub fn error(status: u16, reason: impl Into<String>) -> worker::Result<Response> {
    json(status, &serde_json::json!({ "error": reason.into() }))
}

pub fn config_unavailable(problem: &ConfigError) -> worker::Result<Response> {
    crate::log::error(&format!("[Config] {problem}"));
    json(
        503,
        &serde_json::json!({ "status": "error", "error": format!("configuration incomplete: {problem}") }),
    )
}

pub fn twiml(xml: String) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", crate::twilio::twiml::CONTENT_TYPE)?;
    Ok(Response::ok(xml)?.with_headers(headers))
}

pub fn method_not_allowed(allowed: &str) -> worker::Result<Response> {
    let response = error(405, format!("method not allowed; use {allowed}"))?;
    response.headers().set("Allow", allowed)?;
    Ok(response)
}

/// Bearer-token check with a constant-time compare. Missing and wrong tokens both get 401 so a
/// prober learns nothing from the difference.
pub fn require_bearer(request: &Request, expected: &str) -> Option<worker::Result<Response>> {
    let presented = request
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string));
    let valid = presented.is_some_and(|token| {
        crate::twilio::signature::constant_time_eq(token.trim().as_bytes(), expected.as_bytes())
    });
    if valid {
        return None;
    }
    Some(error(401, "missing or invalid bearer token").and_then(|r| {
        r.headers().set("WWW-Authenticate", "Bearer")?;
        Ok(r)
    }))
}
