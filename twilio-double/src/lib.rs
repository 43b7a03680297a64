//! A local stand-in for Twilio, speaking its wire format: the REST API's paths, HTTP Basic auth, form
//! bodies, JSON shapes and error codes, Lookup v2's line types (served on the same port), and the
//! signed webhooks Twilio posts back. Tests script it,
//! read back what it was sent, and have it call the worker the way Twilio would; the `twilio-double`
//! binary serves it for local runs. It shares no code with the product on purpose, so a product
//! mistake about Twilio's format shows up as a failing test instead of being agreed with.
mod api;
mod dates;
mod latency;
mod lookup;
mod numbers;
mod phone;
pub mod signature;
mod webhooks;

pub use lookup::{LookupScript, DEFAULT_LINE_TYPE, LOOKUP_PREFIX};
pub use phone::is_e164;
pub use webhooks::{ForwardLeg, InboundSms};

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Where every REST resource of an account lives.
pub const API_PREFIX: &str = "/2010-04-01/Accounts/";

/// One request the double received, as the test reads it back.
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
        value_of(&self.form, name)
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        value_of(&self.query, name)
    }

    pub fn is_message_send(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/Messages.json")
    }

    /// A request about one call: the call itself, or its legs (`ParentCallSid`).
    pub fn is_call_lookup(&self) -> bool {
        self.method == "GET"
            && self.path.contains("/Calls")
            && (!self.path.ends_with("/Calls.json") || self.query_value("ParentCallSid").is_some())
    }

    /// A POST that changes one of the account's numbers (`IncomingPhoneNumbers/PN….json`).
    pub fn is_number_update(&self) -> bool {
        self.method == "POST" && self.path.contains("/IncomingPhoneNumbers/")
    }

    /// A page of the account's Calls list (not one call's legs).
    pub fn is_calls_list(&self) -> bool {
        self.method == "GET" && self.path.ends_with("/Calls.json") && !self.is_call_lookup()
    }
}

fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
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
    /// Create the message and answer 201 with a body cut short, which no JSON reader takes.
    AcceptUnreadable,
    /// Never answer and never create the message: the sender's own timeout ends the request.
    Stall,
    /// Create the message, then never answer: a timeout after the text went out.
    AcceptThenStall,
}

/// What the next request about one call meets: a lookup of the call, of its legs, or its place in
/// the account's Calls list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFault {
    /// A 500 with Twilio's error body (20500).
    ServerError,
    /// A 429, Twilio's "Too Many Requests" (20429).
    RateLimited,
    /// Never answered: the connection stays open until the client gives up.
    Stall,
    /// The call shows as still in progress with no `outbound-dial` leg yet, as before its dial
    /// started (the Calls list shows it so too).
    LegsNotYet,
}

/// What the Calls API knows about one inbound call: its own status and its `outbound-dial` legs,
/// who called which number, and when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedCall {
    pub parent_status: String,
    pub child_statuses: Vec<String>,
    pub from: String,
    pub to: String,
    pub started: time::OffsetDateTime,
}

impl ScriptedCall {
    /// The call as Twilio shows it before its dial started: in progress, no leg yet.
    fn before_dial(self) -> ScriptedCall {
        ScriptedCall {
            parent_status: "in-progress".into(),
            child_statuses: Vec::new(),
            ..self
        }
    }
}

/// A message the account has sent, as the Messages API lists it.
struct StoredMessage {
    created: time::OffsetDateTime,
    /// None while the message is queued, as at Twilio: no `DateSent` filter matches it then.
    sent: Option<time::OffsetDateTime>,
    /// The `StatusCallback` the POST asked for, where `deliver_status` posts.
    status_callback: Option<String>,
    /// Everything else Twilio answers about it (`date_created` and `date_sent` come from above).
    json: serde_json::Value,
}

impl StoredMessage {
    /// The message as Twilio's API shows it.
    fn json(&self) -> serde_json::Value {
        let mut json = self.json.clone();
        json["date_created"] = dates::rfc2822(self.created).into();
        json["date_sent"] = self.sent.map(dates::rfc2822).into();
        json
    }

    fn sid(&self) -> &str {
        self.json["sid"].as_str().unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    message_scripts: HashMap<String, VecDeque<MessageScript>>,
    calls: HashMap<String, ScriptedCall>,
    /// In the order they were created at the double (`backdate_message` aside).
    messages: Vec<StoredMessage>,
    /// The account's IncomingPhoneNumbers, as its API shows them, oldest first.
    numbers: Vec<serde_json::Value>,
    /// How many of the next IncomingPhoneNumbers requests answer 500.
    failing_number_requests: u32,
    /// Per Call SID: what its next lookups meet, in order.
    call_faults: HashMap<String, VecDeque<CallFault>>,
    /// What the next pages of the account's Calls list meet (`ServerError`, `RateLimited`, `Stall`).
    list_faults: VecDeque<CallFault>,
    /// Requests being answered (or stalled) right now, by a number of their own: when each came.
    in_flight: HashMap<u64, Instant>,
    /// Scripted faults served so far (messages, lookups, lists): a test can tell that the faults it
    /// asked for were met.
    faults_hit: u64,
    /// Lookup v2: per E.164 number, its line type when not `DEFAULT_LINE_TYPE`.
    line_types: HashMap<String, String>,
    /// Lookup v2: per E.164 number, what its next Lookups meet.
    lookup_scripts: HashMap<String, VecDeque<LookupScript>>,
    latency: latency::Latency,
    sequence: u64,
}

#[derive(Clone)]
pub struct TwilioDouble {
    pub account_sid: String,
    pub auth_token: String,
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    http: reqwest::Client,
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
            http: reqwest::Client::new(),
        };
        tokio::spawn(api::serve(listener, double.clone()));
        Ok(double)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// How many requests the double has received (without copying them).
    pub fn request_count(&self) -> usize {
        self.state().requests.len()
    }

    pub fn messages_to(&self, to: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_message_send() && r.form_value("To") == Some(to))
            .collect()
    }

    /// Queues what the next Messages POST to `to` meets; scripts are used up in order.
    pub fn script_message(&self, to: &str, script: MessageScript) {
        self.state()
            .message_scripts
            .entry(to.to_string())
            .or_default()
            .push_back(script);
    }

    /// Forgets every message script not used yet: the next sends are accepted.
    pub fn forget_message_scripts(&self) {
        self.state().message_scripts.clear();
    }

    /// A call that has just started, from and to Twilio's magic test number: what a lookup of its
    /// SID (or its legs) answers.
    pub fn script_call(&self, call_sid: &str, parent_status: &str, child_statuses: &[&str]) {
        self.script_inbound_call(
            call_sid,
            ("+15005550006", "+15005550006"),
            Duration::ZERO,
            parent_status,
            child_statuses,
        );
    }

    /// An inbound call from `from` to `to` that started `started_ago`, with its `outbound-dial`
    /// legs: what lookups answer, and what the Calls list shows, whether or not any webhook for it
    /// ever reached the worker.
    pub fn script_inbound_call(
        &self,
        call_sid: &str,
        (from, to): (&str, &str),
        started_ago: Duration,
        parent_status: &str,
        child_statuses: &[&str],
    ) {
        self.state().calls.insert(
            call_sid.to_string(),
            ScriptedCall {
                parent_status: parent_status.to_string(),
                child_statuses: child_statuses.iter().map(|s| s.to_string()).collect(),
                from: from.to_string(),
                to: to.to_string(),
                started: time::OffsetDateTime::now_utc() - started_ago,
            },
        );
    }

    /// The next `times` lookups of `call_sid` (the call or its child legs) answer 500.
    pub fn fail_lookups(&self, call_sid: &str, times: u32) {
        let faults = (0..times).map(|_| CallFault::ServerError).collect();
        self.state()
            .call_faults
            .insert(call_sid.to_string(), faults);
    }

    /// Queues what the next request about `call_sid` meets; faults are used up in order.
    pub fn script_call_fault(&self, call_sid: &str, fault: CallFault) {
        self.state()
            .call_faults
            .entry(call_sid.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Queues what the next page of the account's Calls list meets.
    pub fn script_calls_list_fault(&self, fault: CallFault) {
        self.state().list_faults.push_back(fault);
    }

    /// When each request the double has not finished answering (or stalling) came in.
    pub fn requests_in_flight(&self) -> Vec<Instant> {
        self.state().in_flight.values().copied().collect()
    }

    /// How many scripted faults (`MessageScript`, `CallFault`) requests have met so far.
    pub fn faults_hit(&self) -> u64 {
        self.state().faults_hit
    }

    /// Every API request from now on waits `fixed` ± a random part of `jitter` before answering.
    pub fn set_latency(&self, fixed: Duration, jitter: Duration) {
        self.state().latency.set(fixed, jitter);
    }

    /// A message as if sent earlier through this account (e.g. by a run that then crashed); it is
    /// queued until `set_message_status` moves it on.
    pub fn seed_message(&self, to: &str, from: &str, body: &str) -> String {
        let message = self.create_message(to, from, body, None);
        message["sid"].as_str().unwrap_or_default().to_string()
    }

    /// Moves message `sid` to `status` (`sent`, `delivered`, `failed` …) without any callback;
    /// leaving `queued` gives it its `date_sent`, as at Twilio.
    pub fn set_message_status(&self, sid: &str, status: &str, error_code: Option<u32>) {
        self.with_message(sid, |message| {
            let now = time::OffsetDateTime::now_utc();
            message.json["status"] = status.into();
            message.json["error_code"] = error_code.into();
            message.json["date_updated"] = dates::rfc2822(now).into();
            if status != "queued" {
                message.sent.get_or_insert(now);
            }
        });
    }

    /// Moves message `sid` `by` into the past, as if it had been created that much earlier.
    pub fn backdate_message(&self, sid: &str, by: Duration) {
        self.with_message(sid, |message| {
            message.created -= by;
            message.sent = message.sent.map(|sent| sent - by);
        });
    }

    /// The SIDs of the messages the account holds for `to`, oldest first: what was really created,
    /// where `messages_to` lists every attempt.
    pub fn message_sids_to(&self, to: &str) -> Vec<String> {
        self.state()
            .messages
            .iter()
            .filter(|message| message.json["to"] == to)
            .map(|message| message.sid().to_string())
            .collect()
    }

    /// When each message the account holds for `to` was created, oldest first.
    pub fn messages_created_to(&self, to: &str) -> Vec<SystemTime> {
        self.state()
            .messages
            .iter()
            .filter(|message| message.json["to"] == to)
            .map(|message| SystemTime::from(message.created))
            .collect()
    }

    /// Runs `work` on message `sid` and returns its result.
    ///
    /// Panics when the double has no such message.
    fn with_message<T>(&self, sid: &str, work: impl FnOnce(&mut StoredMessage) -> T) -> T {
        let mut state = self.state();
        let message = state
            .messages
            .iter_mut()
            .find(|message| message.sid() == sid)
            .unwrap_or_else(|| panic!("the double has no message {sid}"));
        work(message)
    }

    /// The `X-Twilio-Signature` Twilio would send with a webhook to `url` carrying `params`.
    pub fn sign<K: AsRef<str>, V: AsRef<str>>(&self, url: &str, params: &[(K, V)]) -> String {
        signature::compute(&self.auth_token, url, params)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves the state usable for its report.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_sid(&self, prefix: &str) -> String {
        let sequence = {
            let mut state = self.state();
            state.sequence += 1;
            state.sequence
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        format!("{prefix}{nanos:016x}{sequence:016x}")
    }

    /// Creates a queued message and returns its JSON as the POST answers it.
    fn create_message(
        &self,
        to: &str,
        from: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> serde_json::Value {
        let sid = self.next_sid("SM");
        let now = time::OffsetDateTime::now_utc();
        let account = &self.account_sid;
        let json = serde_json::json!({
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_updated": dates::rfc2822(now),
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
                "media": format!("{API_PREFIX}{account}/Messages/{sid}/Media.json")
            },
            "to": to,
            "uri": format!("{API_PREFIX}{account}/Messages/{sid}.json"),
        });
        let message = StoredMessage {
            created: now,
            sent: None,
            status_callback: status_callback.map(str::to_string),
            json,
        };
        let json = message.json();
        self.state().messages.push(message);
        json
    }
}
