//! A local stand-in for Twilio's REST API, speaking its wire format: the same paths, HTTP Basic auth,
//! form bodies, JSON shapes and error codes. Tests script it and read back what it was sent; the
//! `twilio-double` binary serves it for local runs. Pointing the worker at api.twilio.com instead is
//! a change of `TWILIO_API_BASE_URL` only.
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const API_PREFIX: &str = "/2010-04-01/Accounts/";

#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub form: Vec<(String, String)>,
    /// When the double received it, to measure latency from the test's side.
    #[serde(skip)]
    pub received_at: Option<Instant>,
}

impl RecordedRequest {
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn is_message_send(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/Messages.json")
    }
    pub fn is_call_lookup(&self) -> bool {
        self.method == "GET" && self.path.contains("/Calls")
    }
}

/// What the double does with the next Messages POST to a given number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageScript {
    /// Twilio's error JSON with this HTTP status and code (21211, 21610, 21614, 20429 …).
    Error { status: u16, code: u32 },
    /// A 500 with no Twilio error body.
    ServerError,
    /// Wait, then accept.
    Delay(Duration),
    /// Close the connection without answering; the message is not created.
    Drop,
    /// Create the message, then close the connection without answering: the ambiguous failure
    /// where the text went out but the sender never heard so.
    AcceptThenDrop,
}

/// What the Calls API knows about one inbound call: its own status and its `outbound-dial` legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedCall {
    pub parent_status: String,
    pub child_statuses: Vec<String>,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    message_scripts: HashMap<String, VecDeque<MessageScript>>,
    calls: HashMap<String, ScriptedCall>,
    /// Messages created, oldest first, with the UTC day they were sent on.
    messages: Vec<(String, serde_json::Value)>,
    /// Per Call SID: how many of the next lookups answer 500.
    failing_lookups: HashMap<String, u32>,
    sequence: u64,
}

#[derive(Clone)]
pub struct TwilioDouble {
    pub account_sid: String,
    pub auth_token: String,
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl TwilioDouble {
    /// Binds 127.0.0.1:`port` (0 for a free one) and serves until the runtime ends.
    pub async fn start(port: u16, account_sid: &str, auth_token: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let double = TwilioDouble {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            addr: listener.local_addr()?,
            state: Arc::default(),
        };
        let server = double.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve_connection(stream).await });
            }
        });
        Ok(double)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn messages_to(&self, to: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_message_send() && r.form_value("To") == Some(to))
            .collect()
    }

    pub fn script_message(&self, to: &str, script: MessageScript) {
        let mut state = self.state.lock().unwrap();
        state
            .message_scripts
            .entry(to.to_string())
            .or_default()
            .push_back(script);
    }

    pub fn script_call(&self, call_sid: &str, parent_status: &str, child_statuses: &[&str]) {
        self.state.lock().unwrap().calls.insert(
            call_sid.to_string(),
            ScriptedCall {
                parent_status: parent_status.to_string(),
                child_statuses: child_statuses.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    pub fn fail_lookups(&self, call_sid: &str, times: u32) {
        self.state
            .lock()
            .unwrap()
            .failing_lookups
            .insert(call_sid.to_string(), times);
    }

    async fn serve_connection(&self, mut stream: TcpStream) {
        let Some(raw) = read_request(&mut stream).await else {
            return;
        };
        let (status, body) = match self.respond(raw).await {
            Reply::Json(status, body) => (status, body.to_string()),
            Reply::Drop => return,
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            reason(status),
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    async fn respond(&self, raw: RawRequest) -> Reply {
        let (path, query) = match raw.target.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (raw.target.clone(), String::new()),
        };
        let query: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
        if path == "/__double/requests" {
            return Reply::Json(200, serde_json::json!({ "requests": self.requests() }));
        }
        let is_form = raw
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let form: Vec<(String, String)> = if is_form {
            serde_urlencoded::from_bytes(&raw.body).unwrap_or_default()
        } else {
            Vec::new()
        };
        let recorded = RecordedRequest {
            method: raw.method.clone(),
            path: path.clone(),
            query,
            authorization: raw.header("authorization").map(str::to_string),
            form,
            received_at: Some(Instant::now()),
        };
        self.state.lock().unwrap().requests.push(recorded.clone());

        let Some(rest) = path.strip_prefix(API_PREFIX) else {
            return twilio_error(404, 20404, "The requested resource was not found");
        };
        let (account, resource) = rest.split_once('/').unwrap_or((rest, ""));
        if !self.authorised(recorded.authorization.as_deref()) || account != self.account_sid {
            return twilio_error(401, 20003, "Authenticate");
        }
        match (raw.method.as_str(), resource) {
            ("POST", "Messages.json") => self.send_message(&recorded).await,
            ("GET", "Messages.json") => self.list_messages(&recorded),
            ("GET", "Calls.json") => self.list_calls(&recorded),
            ("GET", call) if call.starts_with("Calls/") && call.ends_with(".json") => {
                let sid = &call["Calls/".len()..call.len() - ".json".len()];
                self.fetch_call(sid)
            }
            (_, "Messages.json" | "Calls.json") => twilio_error(405, 20004, "Method not allowed"),
            _ => twilio_error(404, 20404, "The requested resource was not found"),
        }
    }

    fn authorised(&self, header: Option<&str>) -> bool {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let expected = STANDARD.encode(format!("{}:{}", self.account_sid, self.auth_token));
        header.and_then(|h| h.strip_prefix("Basic ")) == Some(expected.as_str())
    }

    async fn send_message(&self, request: &RecordedRequest) -> Reply {
        let to = request.form_value("To").unwrap_or("");
        let from = request.form_value("From").unwrap_or("");
        let body = request.form_value("Body").unwrap_or("");
        if to.is_empty() {
            return twilio_error(400, 21604, "A 'To' phone number is required.");
        }
        if from.is_empty() {
            return twilio_error(400, 21603, "A 'From' phone number is required.");
        }
        if body.is_empty() {
            return twilio_error(400, 21602, "Message body is required.");
        }
        if crate::domain::PhoneNumber::parse(to).is_err() {
            return twilio_error(
                400,
                21211,
                &format!("The 'To' number {to} is not a valid phone number."),
            );
        }
        let script = {
            let mut state = self.state.lock().unwrap();
            state
                .message_scripts
                .get_mut(to)
                .and_then(VecDeque::pop_front)
        };
        match script {
            Some(MessageScript::Error { status, code }) => {
                return twilio_error(status, code, error_message(code));
            }
            Some(MessageScript::ServerError) => {
                return Reply::Json(
                    500,
                    serde_json::json!({ "status": 500, "message": "Internal Server Error" }),
                );
            }
            Some(MessageScript::Drop) => return Reply::Drop,
            Some(MessageScript::AcceptThenDrop) => {
                self.create_message(to, from, body);
                return Reply::Drop;
            }
            Some(MessageScript::Delay(wait)) => tokio::time::sleep(wait).await,
            None => {}
        }
        Reply::Json(201, self.create_message(to, from, body))
    }

    /// A message as if sent earlier through this account (e.g. by a run that then crashed).
    pub fn seed_message(&self, to: &str, from: &str, body: &str) -> String {
        self.create_message(to, from, body)["sid"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn create_message(&self, to: &str, from: &str, body: &str) -> serde_json::Value {
        let sid = self.next_sid("SM");
        let now = SystemTime::now();
        let date = rfc2822(now);
        let message = serde_json::json!({
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": date,
            "date_sent": date,
            "date_updated": date,
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": from,
            "messaging_service_sid": null,
            "num_media": "0",
            "num_segments": "1",
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": format!("{API_PREFIX}{}/Messages/{sid}/Media.json", self.account_sid)
            },
            "to": to,
            "uri": format!("{API_PREFIX}{}/Messages/{sid}.json", self.account_sid),
        });
        self.state
            .lock()
            .unwrap()
            .messages
            .push((utc_day(now), message.clone()));
        message
    }

    /// `GET …/Messages.json` with Twilio's `To`, `From` and `DateSent>=` filters, newest first.
    fn list_messages(&self, request: &RecordedRequest) -> Reply {
        let to = request.query_value("To");
        let from = request.query_value("From");
        let since = request.query_value("DateSent>");
        let page_size: usize = request
            .query_value("PageSize")
            .and_then(|s| s.parse().ok())
            .unwrap_or(50);
        let messages: Vec<serde_json::Value> = self
            .state
            .lock()
            .unwrap()
            .messages
            .iter()
            .rev()
            .filter(|(day, m)| {
                to.is_none_or(|to| m["to"] == to)
                    && from.is_none_or(|from| m["from"] == from)
                    && since.is_none_or(|since| day.as_str() >= since)
            })
            .take(page_size)
            .map(|(_, m)| m.clone())
            .collect();
        let uri = format!(
            "{API_PREFIX}{}/Messages.json?PageSize={page_size}&Page=0",
            self.account_sid
        );
        list_page("messages", messages, &uri, page_size)
    }

    fn lookup_should_fail(&self, call_sid: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        match state.failing_lookups.get_mut(call_sid) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    fn fetch_call(&self, sid: &str) -> Reply {
        if self.lookup_should_fail(sid) {
            return twilio_error(500, 20500, "Internal Server Error");
        }
        let call = self.state.lock().unwrap().calls.get(sid).cloned();
        match call {
            Some(call) => Reply::Json(
                200,
                self.call_json(sid, None, &call.parent_status, "inbound"),
            ),
            None => twilio_error(
                404,
                20404,
                &format!(
                    "The requested resource {API_PREFIX}{}/Calls/{sid}.json was not found",
                    self.account_sid
                ),
            ),
        }
    }

    fn list_calls(&self, request: &RecordedRequest) -> Reply {
        let parent = request
            .query_value("ParentCallSid")
            .unwrap_or("")
            .to_string();
        if !parent.is_empty() && self.lookup_should_fail(&parent) {
            return twilio_error(500, 20500, "Internal Server Error");
        }
        let page_size: usize = request
            .query_value("PageSize")
            .and_then(|s| s.parse().ok())
            .unwrap_or(50);
        let scripted = self.state.lock().unwrap().calls.get(&parent).cloned();
        let calls: Vec<serde_json::Value> = scripted
            .map(|call| {
                call.child_statuses
                    .iter()
                    .enumerate()
                    .map(|(leg, status)| {
                        let sid = child_sid(&parent, leg);
                        self.call_json(&sid, Some(&parent), status, "outbound-dial")
                    })
                    .collect()
            })
            .unwrap_or_default();
        let uri = format!(
            "{API_PREFIX}{}/Calls.json?ParentCallSid={parent}&PageSize={page_size}&Page=0",
            self.account_sid
        );
        list_page("calls", calls, &uri, page_size)
    }

    fn call_json(
        &self,
        sid: &str,
        parent: Option<&str>,
        status: &str,
        direction: &str,
    ) -> serde_json::Value {
        let now = rfc2822(SystemTime::now());
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
            "from": "+15005550006",
            "from_formatted": "(500) 555-0006",
            "group_sid": null,
            "parent_call_sid": parent,
            "phone_number_sid": null,
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "start_time": now,
            "status": status,
            "subresource_uris": {},
            "to": "+15005550006",
            "to_formatted": "(500) 555-0006",
            "trunk_sid": null,
            "uri": format!("{API_PREFIX}{}/Calls/{sid}.json", self.account_sid),
        })
    }

    fn next_sid(&self, prefix: &str) -> String {
        let mut state = self.state.lock().unwrap();
        state.sequence += 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        format!("{prefix}{:016x}{:016x}", nanos, state.sequence)
    }
}

fn child_sid(parent: &str, leg: usize) -> String {
    // Deterministic so a test can tell legs apart; same shape as a real SID.
    let tail: String = parent.chars().skip(2).take(31).collect();
    format!("CA{tail}{leg:x}")
}

enum Reply {
    Json(u16, serde_json::Value),
    Drop,
}

/// Twilio's list envelope: one page holding everything, so `next_page_uri` is null.
fn list_page(key: &str, items: Vec<serde_json::Value>, uri: &str, page_size: usize) -> Reply {
    let mut page = serde_json::json!({
        "end": items.len().saturating_sub(1),
        "first_page_uri": uri,
        "next_page_uri": null,
        "page": 0,
        "page_size": page_size,
        "previous_page_uri": null,
        "start": 0,
        "uri": uri,
    });
    page[key] = serde_json::Value::Array(items);
    Reply::Json(200, page)
}

fn twilio_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::Json(
        status,
        serde_json::json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }),
    )
}

fn error_message(code: u32) -> &'static str {
    match code {
        21211 => "Invalid 'To' Phone Number",
        21408 => "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
        21610 => "Attempt to send to unsubscribed recipient",
        21612 => "The 'To' phone number is not currently reachable via SMS",
        21614 => "'To' number is not a valid mobile number",
        20429 => "Too Many Requests",
        _ => "Error",
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body (what Workers' fetch sends for a form).
async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(RawRequest {
        method,
        target,
        headers,
        body,
    })
}

/// `YYYY-MM-DD` in UTC, the granularity of Twilio's date filters.
fn utc_day(at: SystemTime) -> String {
    let (year, month, day, ..) = civil(at);
    format!("{year:04}-{month:02}-{day:02}")
}

/// RFC 2822 date as Twilio writes them: `Tue, 24 Nov 2026 08:04:43 +0000`.
pub fn rfc2822(at: SystemTime) -> String {
    let (year, month, day, weekday, secs_of_day) = civil(at);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[weekday],
        MONTHS[(month - 1) as usize],
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// (year, month, day, weekday counted from Thursday, seconds into the day), UTC.
fn civil(at: SystemTime) -> (i64, i64, i64, usize, i64) {
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, days.rem_euclid(7) as usize, rem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_like_twilio() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_508_083);
        assert_eq!(rfc2822(at), "Tue, 24 Nov 2026 08:14:43 +0000");
        assert_eq!(rfc2822(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(utc_day(at), "2026-11-24");
    }
}
