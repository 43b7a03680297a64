//! The REST side of the double on axum: the routes Twilio's 2010-04-01 API has for messages,
//! calls and the account's numbers (those handlers in `numbers`), Lookup v2's phone numbers (in
//! `lookup`), HTTP Basic auth, Twilio's error and list JSON, and `/__double/requests`. Connections
//! are served with hyper directly, each in a task of its own, so that a scripted `Drop` can close one
//! without answering, which is what a client sees when Twilio's side of a connection dies.
use crate::{
    dates, lookup, numbers, phone, CallFault, MessageScript, RecordedRequest, ScriptedCall,
    StoredMessage, TwilioDouble, API_PREFIX,
};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower::ServiceExt;

/// Largest request body read; Twilio's own limit for a message is far below it.
const MAX_BODY: usize = 1 << 20;

pub(crate) async fn serve(listener: TcpListener, double: TwilioDouble) {
    let router = router(double);
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve_connection(stream, router.clone()));
    }
}

/// Lets a handler end its own connection without a response.
#[derive(Clone, Default)]
pub(crate) struct ConnectionKill(Arc<Notify>);

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill::default();
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(kill.clone());
            router.clone().oneshot(request)
        })
    };
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection drops the socket: the client sees it close mid-request.
        _ = kill.0.notified() => {}
    }
}

fn router(double: TwilioDouble) -> Router {
    let account = "/2010-04-01/Accounts/{account_sid}";
    Router::new()
        .route("/__double/requests", get(list_requests))
        .route(
            &format!("{account}/Messages.json"),
            get(list_messages)
                .post(send_message)
                .fallback(method_not_allowed),
        )
        .route(
            &format!("{account}/Calls.json"),
            get(list_calls).fallback(method_not_allowed),
        )
        .route(
            &format!("{account}/Calls/{{call}}"),
            get(fetch_call).fallback(method_not_allowed),
        )
        .route(
            &format!("{account}/IncomingPhoneNumbers.json"),
            get(numbers::list_numbers).fallback(method_not_allowed),
        )
        .route(
            &format!("{account}/IncomingPhoneNumbers/{{number}}"),
            get(numbers::fetch_number)
                .post(numbers::update_number)
                .fallback(method_not_allowed),
        )
        .route(
            &format!("{}{{phone}}", lookup::LOOKUP_PREFIX),
            get(lookup::lookup).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(double.clone(), gate))
        .with_state(double)
}

/// Before any route: records the request, waits the configured latency, and checks HTTP Basic auth
/// for everything under an account and for Lookup (the same account's credentials).
async fn gate(State(double): State<TwilioDouble>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/__double/requests" {
        return next.run(request).await;
    }
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return twilio_error(413, 21617, "The request body is too large");
    };
    let recorded = record(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        received_at,
    );
    let (wait, flight) = {
        let mut state = double.state();
        state.requests.push(recorded.clone());
        state.sequence += 1;
        let flight = state.sequence;
        state.in_flight.insert(flight, received_at);
        (state.latency.next_wait(), flight)
    };
    // In flight until answered, or until the connection's end drops this future.
    let _landed = Landing(double.clone(), flight);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    if let Some(rest) = recorded.path.strip_prefix(API_PREFIX) {
        let account = rest.split('/').next().unwrap_or_default();
        if account != double.account_sid || !double.authorised(recorded.authorization.as_deref()) {
            return twilio_error(401, 20003, "Authenticate");
        }
    } else if recorded.path.starts_with(lookup::LOOKUP_PREFIX)
        && !double.authorised(recorded.authorization.as_deref())
    {
        return twilio_error(401, 20003, "Authenticate");
    }
    let mut request = Request::from_parts(parts, Body::from(body));
    request.extensions_mut().insert(recorded);
    next.run(request).await
}

/// Takes its request off the double's list of those in flight when dropped.
struct Landing(TwilioDouble, u64);

impl Drop for Landing {
    fn drop(&mut self) {
        self.0.state().in_flight.remove(&self.1);
    }
}

fn record(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    received_at: Instant,
) -> RecordedRequest {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    RecordedRequest {
        method: method.as_str().to_string(),
        path: uri.path().to_string(),
        query: serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        form: if is_form {
            serde_urlencoded::from_bytes(body).unwrap_or_default()
        } else {
            Vec::new()
        },
        received_at: Some(received_at),
    }
}

impl TwilioDouble {
    fn authorised(&self, header: Option<&str>) -> bool {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let expected = STANDARD.encode(format!("{}:{}", self.account_sid, self.auth_token));
        header.and_then(|h| h.strip_prefix("Basic ")) == Some(expected.as_str())
    }

    /// The fault the next page of the account's Calls list meets, if one is scripted (and counted).
    fn next_list_fault(&self) -> Option<CallFault> {
        let mut state = self.state();
        let fault = state.list_faults.pop_front()?;
        state.faults_hit += 1;
        Some(fault)
    }

    /// The fault the next request about `call_sid` meets, if one is scripted (and counted).
    fn next_call_fault(&self, call_sid: &str) -> Option<CallFault> {
        let mut state = self.state();
        let fault = state.call_faults.get_mut(call_sid)?.pop_front()?;
        state.faults_hit += 1;
        Some(fault)
    }

    /// The call's own record (`leg` None) or its `leg`-th `outbound-dial` leg, as Twilio shows it.
    fn call_json(&self, sid: &str, call: &ScriptedCall, leg: Option<usize>) -> serde_json::Value {
        let now = dates::rfc2822(time::OffsetDateTime::now_utc());
        let (own_sid, parent, status, direction, to) = match leg {
            None => (
                sid.to_string(),
                None,
                &call.parent_status,
                "inbound",
                &call.to,
            ),
            Some(leg) => (
                child_sid(sid, leg),
                Some(sid),
                &call.child_statuses[leg],
                "outbound-dial",
                &FORWARDED_TO.to_string(),
            ),
        };
        let (sid, status) = (own_sid.as_str(), status.as_str());
        let from = &call.from;
        let over = !matches!(status, "queued" | "ringing" | "in-progress");
        serde_json::json!({
            "account_sid": self.account_sid,
            "answered_by": null,
            "api_version": "2010-04-01",
            "caller_name": null,
            "date_created": now,
            "date_updated": now,
            "direction": direction,
            "duration": if over { "0" } else { "" },
            "end_time": if over { serde_json::json!(now) } else { serde_json::Value::Null },
            "forwarded_from": null,
            "from": from,
            "from_formatted": from,
            "group_sid": null,
            "parent_call_sid": parent,
            "phone_number_sid": null,
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "start_time": dates::rfc2822(call.started),
            "status": status,
            "subresource_uris": {},
            "to": to,
            "to_formatted": to,
            "trunk_sid": null,
            "uri": format!("{API_PREFIX}{}/Calls/{sid}.json", self.account_sid),
        })
    }
}

async fn list_requests(State(double): State<TwilioDouble>) -> Response {
    json(200, serde_json::json!({ "requests": double.requests() }))
}

/// `POST …/Messages.json`: Twilio's validation of To/From/Body, then whatever the test scripted for
/// the recipient, else a queued message (201).
async fn send_message(
    State(double): State<TwilioDouble>,
    Extension(request): Extension<RecordedRequest>,
    Extension(kill): Extension<ConnectionKill>,
) -> Response {
    let to = request.form_value("To").unwrap_or_default();
    let from = request.form_value("From").unwrap_or_default();
    let body = request.form_value("Body").unwrap_or_default();
    let status_callback = request.form_value("StatusCallback");
    if to.is_empty() {
        return twilio_error(400, 21604, "A 'To' phone number is required.");
    }
    if from.is_empty() {
        return twilio_error(400, 21603, "A 'From' phone number is required.");
    }
    if body.is_empty() {
        return twilio_error(400, 21602, "Message body is required.");
    }
    if !phone::is_e164(to) {
        return twilio_error(400, 21211, &error_message(21211, to, from));
    }
    let script = {
        let mut state = double.state();
        let script = state
            .message_scripts
            .get_mut(to)
            .and_then(VecDeque::pop_front);
        state.faults_hit += u64::from(script.is_some());
        script
    };
    match script {
        Some(MessageScript::Error { status, code }) => {
            return twilio_error(status, code, &error_message(code, to, from));
        }
        Some(MessageScript::ServerError) => {
            let body = serde_json::json!({ "status": 500, "message": "Internal Server Error" });
            return json(500, body);
        }
        Some(MessageScript::Drop) => return hang_up(kill).await,
        Some(MessageScript::AcceptThenDrop) => {
            double.create_message(to, from, body, status_callback);
            return hang_up(kill).await;
        }
        Some(MessageScript::AcceptUnreadable) => {
            let json = double
                .create_message(to, from, body, status_callback)
                .to_string();
            let cut_short = json[..json.len() / 2].to_string();
            let headers = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
            return (StatusCode::CREATED, headers, cut_short).into_response();
        }
        Some(MessageScript::Stall) => return std::future::pending().await,
        Some(MessageScript::AcceptThenStall) => {
            double.create_message(to, from, body, status_callback);
            return std::future::pending().await;
        }
        Some(MessageScript::Delay(wait)) => tokio::time::sleep(wait).await,
        None => {}
    }
    json(201, double.create_message(to, from, body, status_callback))
}

/// Closes this request's connection and never answers.
pub(crate) async fn hang_up(kill: ConnectionKill) -> Response {
    kill.0.notify_one();
    std::future::pending().await
}

/// `GET …/Messages.json` with Twilio's filters: `To`, `From`, and `DateSent` (that UTC day),
/// `DateSent<` (on or before it) and `DateSent>` (on or after it), which compare `date_sent`, so a
/// message still queued matches none of them. Newest first by creation, as Twilio lists by SID;
/// `PageSize` and `Page` page through them.
async fn list_messages(
    State(double): State<TwilioDouble>,
    Extension(request): Extension<RecordedRequest>,
) -> Response {
    let to = request.query_value("To");
    let from = request.query_value("From");
    let matches = |message: &StoredMessage| {
        to.is_none_or(|to| message.json["to"] == to)
            && from.is_none_or(|from| message.json["from"] == from)
            && date_sent_matches(&request, message)
    };
    let (page, page_size) = (page_number(&request), page_size(&request));
    let state = double.state();
    let mut listed: Vec<&StoredMessage> =
        state.messages.iter().rev().filter(|m| matches(m)).collect();
    listed.sort_by_key(|message| std::cmp::Reverse(message.created));
    let messages: Vec<serde_json::Value> = listed
        .iter()
        .skip(page * page_size)
        .take(page_size)
        .map(|m| m.json())
        .collect();
    let more = listed.len() > (page + 1) * page_size;
    drop(state);
    let uri = |page: usize| page_uri(&double, &request, "Messages.json", page, page_size);
    list_page("messages", messages, (page, page_size, more), uri)
}

/// Whether `message` passes the `DateSent` filters of `request`: that UTC day (`DateSent`), on or
/// before it (`DateSent<`), on or after it (`DateSent>`). A message not sent yet passes none.
fn date_sent_matches(request: &RecordedRequest, message: &StoredMessage) -> bool {
    let day = message.sent.map(dates::utc_day);
    let holds = |name: &str, test: fn(&str, &str) -> bool| {
        request
            .query_value(name)
            .is_none_or(|filter| day.as_deref().is_some_and(|day| test(day, filter)))
    };
    holds("DateSent", |day, filter| day == filter)
        && holds("DateSent<", |day, filter| day <= filter)
        && holds("DateSent>", |day, filter| day >= filter)
}

/// Where a scripted call's forward rings: its legs are calls to this number.
const FORWARDED_TO: &str = "+15005550006";

/// `GET …/Calls.json`: with `ParentCallSid`, that call's `outbound-dial` legs; without, every call
/// (inbound parents and their legs), newest started first, filtered as Twilio filters: `To`,
/// `Status`, and `StartTime>=`/`StartTime<=` by UTC day (Twilio's filter is day-granular);
/// `PageSize` and `Page` page through them.
async fn list_calls(
    State(double): State<TwilioDouble>,
    Extension(request): Extension<RecordedRequest>,
) -> Response {
    let filter = |name: &str| request.query_value(name);
    // Legs of one call meet that call's faults; the account's list meets the list's own.
    let account_list = filter("ParentCallSid").is_none();
    let fault = match filter("ParentCallSid") {
        Some(parent) => double.next_call_fault(parent),
        None => double.next_list_fault(),
    };
    if let Some(refusal) = refusal(fault).await {
        return refusal;
    }
    let mut state = double.state();
    // One call's legs need that call alone; the account's list, every call, newest first.
    let mut scripted: Vec<(String, ScriptedCall)> = match filter("ParentCallSid") {
        Some(parent) => state
            .calls
            .get(parent)
            .map(|call| (parent.to_string(), call.clone()))
            .into_iter()
            .collect(),
        None => state
            .calls
            .iter()
            .map(|(sid, call)| (sid.clone(), call.clone()))
            .collect(),
    };
    scripted.sort_by_key(|(sid, call)| (std::cmp::Reverse(call.started), sid.clone()));
    // Each row, and for a call shown before its dial in the account's list, its SID: that fault
    // is used up only when the row is on the page served.
    let rows: Vec<(serde_json::Value, Option<String>)> = scripted
        .into_iter()
        .filter(|(_, call)| {
            let day = dates::utc_day(call.started);
            filter("StartTime>=").is_none_or(|since| day.as_str() >= since)
                && filter("StartTime<=").is_none_or(|until| day.as_str() <= until)
        })
        .flat_map(|(sid, call)| {
            let waiting = account_list
                && state.call_faults.get(&sid).and_then(|f| f.front())
                    == Some(&CallFault::LegsNotYet);
            let call = if waiting || fault == Some(CallFault::LegsNotYet) {
                call.before_dial()
            } else {
                call
            };
            let own = account_list.then_some(None);
            own.into_iter()
                .chain((0..call.child_statuses.len()).map(Some))
                .map(|leg| {
                    let shown_waiting = (waiting && leg.is_none()).then(|| sid.clone());
                    (double.call_json(&sid, &call, leg), shown_waiting)
                })
                .collect::<Vec<_>>()
        })
        .filter(|(call, _)| filter("To").is_none_or(|to| call["to"] == to))
        .filter(|(call, _)| filter("Status").is_none_or(|status| call["status"] == status))
        .collect();
    let (page, page_size) = (page_number(&request), page_size(&request));
    for sid in rows
        .iter()
        .skip(page * page_size)
        .take(page_size)
        .filter_map(|(_, waiting)| waiting.as_ref())
    {
        state.call_faults.get_mut(sid).and_then(VecDeque::pop_front);
        state.faults_hit += 1;
    }
    drop(state);
    let listed = rows.into_iter().map(|(call, _)| call).collect();
    paged(&double, &request, "Calls.json", "calls", listed)
}

/// The answer a request meets for `fault`, or None when it is answered as usual (or the fault
/// changes what it shows rather than whether it answers).
async fn refusal(fault: Option<CallFault>) -> Option<Response> {
    match fault? {
        CallFault::ServerError => Some(twilio_error(500, 20500, "Internal Server Error")),
        CallFault::RateLimited => Some(twilio_error(429, 20429, "Too Many Requests")),
        CallFault::Stall => std::future::pending().await,
        CallFault::LegsNotYet => None,
    }
}

/// `GET …/Calls/CA….json`: the scripted inbound call itself.
async fn fetch_call(
    State(double): State<TwilioDouble>,
    Path((_account, call)): Path<(String, String)>,
) -> Response {
    let Some(sid) = call.strip_suffix(".json") else {
        return not_found().await;
    };
    let fault = double.next_call_fault(sid);
    if let Some(refusal) = refusal(fault).await {
        return refusal;
    }
    let scripted = double.state().calls.get(sid).cloned();
    match scripted {
        Some(call) if fault == Some(CallFault::LegsNotYet) => {
            json(200, double.call_json(sid, &call.before_dial(), None))
        }
        Some(call) => json(200, double.call_json(sid, &call, None)),
        None => {
            let account = &double.account_sid;
            let message = format!(
                "The requested resource {API_PREFIX}{account}/Calls/{sid}.json was not found"
            );
            twilio_error(404, 20404, &message)
        }
    }
}

async fn not_found() -> Response {
    twilio_error(404, 20404, "The requested resource was not found")
}

async fn method_not_allowed() -> Response {
    twilio_error(405, 20004, "Method not allowed")
}

fn page_size(request: &RecordedRequest) -> usize {
    request
        .query_value("PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
}

fn page_number(request: &RecordedRequest) -> usize {
    request
        .query_value("Page")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn child_sid(parent: &str, leg: usize) -> String {
    // Deterministic so a test can tell legs apart; same shape as a real SID.
    let tail: String = parent.chars().skip(2).take(31).collect();
    format!("CA{tail}{leg:x}")
}

/// The page `request` asked for (`Page`, `PageSize`) of `listed`, everything its filters kept, in
/// Twilio's list envelope under `key`.
pub(crate) fn paged(
    double: &TwilioDouble,
    request: &RecordedRequest,
    resource: &str,
    key: &str,
    listed: Vec<serde_json::Value>,
) -> Response {
    let (page, page_size) = (page_number(request), page_size(request));
    let more = listed.len() > (page + 1) * page_size;
    let items = listed
        .into_iter()
        .skip(page * page_size)
        .take(page_size)
        .collect();
    let uri = |page: usize| page_uri(double, request, resource, page, page_size);
    list_page(key, items, (page, page_size, more), uri)
}

/// The URI of page `page` of the list `request` asked for, with its filters.
fn page_uri(
    double: &TwilioDouble,
    request: &RecordedRequest,
    resource: &str,
    page: usize,
    page_size: usize,
) -> String {
    let mut query: Vec<(&str, String)> = request
        .query
        .iter()
        .filter(|(name, _)| name != "Page" && name != "PageSize")
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    query.extend([
        ("PageSize", page_size.to_string()),
        ("Page", page.to_string()),
    ]);
    let query = serde_urlencoded::to_string(query).expect("string pairs always encode");
    format!("{API_PREFIX}{}/{resource}?{query}", double.account_sid)
}

/// Twilio's list envelope around page `page` of a list, holding `items`; `uri(n)` is the URI of
/// page n, and `more` says whether a next page follows.
fn list_page(
    key: &str,
    items: Vec<serde_json::Value>,
    (page, page_size, more): (usize, usize, bool),
    uri: impl Fn(usize) -> String,
) -> Response {
    let start = page * page_size;
    let mut envelope = serde_json::json!({
        "end": (start + items.len()).saturating_sub(1),
        "first_page_uri": uri(0),
        "next_page_uri": more.then(|| uri(page + 1)),
        "page": page,
        "page_size": page_size,
        "previous_page_uri": page.checked_sub(1).map(&uri),
        "start": start,
        "uri": uri(page),
    });
    envelope[key] = serde_json::Value::Array(items);
    json(200, envelope)
}

pub(crate) fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    json(status, body)
}

pub(crate) fn json(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
    (status, headers, body.to_string()).into_response()
}

/// Twilio's own texts for the errors a test can script; most quote the numbers in full.
fn error_message(code: u32, to: &str, from: &str) -> String {
    match code {
        21211 => format!("The 'To' number {to} is not a valid phone number."),
        21408 => format!(
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."
        ),
        21606 => format!(
            "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."
        ),
        21610 => "The message From/To pair violates a blacklist rule.".to_string(),
        21612 => format!(
            "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from} via SMS."
        ),
        21614 => format!("To number: {to}, is not a mobile number"),
        20429 => "Too Many Requests".to_string(),
        _ => "Error".to_string(),
    }
}
