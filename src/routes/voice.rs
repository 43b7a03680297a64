//! `POST /api/webhooks/twilio/voice`: Phase 1 (the call comes in: forward it) and Phase 2
//! (`?mode=dial-result`: the forward ended; text the caller if nobody answered).
use crate::business::BusinessNumber;
use crate::config::Config;
use crate::database::DbError;
use crate::edge::{self, with_timeout, WorkerFetch};
use crate::missed_call::handle_missed_call;
use crate::phone_number::{mask, PhoneNumber};
use crate::routes::VOICE_WEBHOOK_PATH;
use crate::store::{self, CallRef, ProcessedBy};
use crate::twilio::{signature, twiml};
use crate::{database, log};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use worker::{Context, Date, Delay, Env, Request, Response, Result};

/// Phase 1 answers within this even when the database hangs; Twilio gives up at 15 s.
const DATABASE_BUDGET: Duration = Duration::from_secs(3);
const CONNECT_RETRY_PAUSES: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(6)];
/// How long a copy of a number's configuration may stand in for an unreachable database.
const CONFIG_COPY_MAX_AGE_MS: u64 = 24 * 60 * 60 * 1000;

const NOT_IN_SERVICE: &str = "Sorry, the number you have called is not in service. Goodbye.";
const APOLOGY: &str = "Sorry, we cannot take your call right now. Please try again later. Goodbye.";
const MISSED: &str = "Sorry we missed you. We will text you shortly. Goodbye.";

thread_local! {
    /// Business numbers seen recently by this isolate, so a database outage does not cut callers off.
    static RECENT_NUMBERS: RefCell<HashMap<String, (BusinessNumber, u64)>> = RefCell::new(HashMap::new());
}

/// Statuses of the forward after which nobody picked up.
pub fn is_missed(dial_call_status: &str) -> bool {
    matches!(
        dial_call_status,
        "no-answer" | "busy" | "failed" | "canceled"
    )
}

pub fn is_answered(dial_call_status: &str) -> bool {
    matches!(dial_call_status, "completed" | "answered")
}

struct Webhook {
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Webhook {
    fn param(&self, name: &str) -> Option<&str> {
        value(&self.params, name)
    }
    fn query(&self, name: &str) -> Option<&str> {
        value(&self.query, name)
    }
    fn required(&self, name: &str) -> std::result::Result<&str, String> {
        self.param(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("missing form parameter {name}"))
    }
}

pub async fn voice(mut request: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => {
            // Without settings we cannot even check the signature; Twilio still gets valid TwiML.
            log::error(&format!("[Voice] cannot serve the call: {problem}"));
            return edge::twiml(twiml::say_and_hang_up(APOLOGY));
        }
    };
    let url = request.url()?;
    let raw_query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    let body = request.text().await?;
    let params: Vec<(String, String)> = match serde_urlencoded::from_str(&body) {
        Ok(params) => params,
        Err(e) => return edge::error(400, format!("body is not form-encoded: {e}")),
    };
    let query: Vec<(String, String)> = match serde_urlencoded::from_str(url.query().unwrap_or("")) {
        Ok(query) => query,
        Err(e) => return edge::error(400, format!("query string is not form-encoded: {e}")),
    };

    let signed_url = format!("{}{VOICE_WEBHOOK_PATH}{raw_query}", config.app_url);
    let header = request.headers().get("X-Twilio-Signature")?;
    match header {
        Some(header) if signature::is_valid(&config.twilio.auth_token, &signed_url, &params, &header) => {}
        None if is_loopback(&config.app_url) => log::warn(
            "[Voice] WARNING: accepting an unsigned request because APP_URL is a loopback address (local development only)",
        ),
        presented => {
            log::warn(&format!(
                "[Voice] Rejected request with {} X-Twilio-Signature",
                if presented.is_some() { "an invalid" } else { "no" }
            ));
            return edge::error(403, "invalid or missing X-Twilio-Signature");
        }
    }

    let webhook = Webhook { params, query };
    let outcome = match webhook.query("mode") {
        Some("dial-result") => dial_result(&webhook, config, env, ctx),
        Some(other) => Err(format!("unknown mode {other:?}")),
        None => incoming_call(&webhook, &config.app_url, env).await,
    };
    match outcome {
        Ok(xml) => edge::twiml(xml),
        Err(reason) => edge::error(400, reason),
    }
}

fn is_loopback(app_url: &str) -> bool {
    let host = app_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || app_url.contains("://[::1]")
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

async fn incoming_call(
    webhook: &Webhook,
    app_url: &str,
    env: &Env,
) -> std::result::Result<String, String> {
    let call_sid = webhook.required("CallSid")?;
    let from = webhook.required("From")?;
    let to = PhoneNumber::parse(webhook.required("To")?).map_err(|e| format!("To: {e}"))?;
    log::info(&format!(
        "[Voice Phase 1] Incoming call {call_sid} from {} to {}",
        mask(from),
        to.masked()
    ));

    let lookup = async {
        let db = database::connect(env).await?;
        store::record_incoming_call(&db, call_sid, from, &to).await
    };
    let business = match with_timeout(DATABASE_BUDGET, lookup).await {
        Some(Ok(found)) => {
            RECENT_NUMBERS.with(|recent| match &found {
                Some(number) => {
                    recent
                        .borrow_mut()
                        .insert(to.to_string(), (number.clone(), now_ms()));
                }
                None => {
                    recent.borrow_mut().remove(to.as_str());
                }
            });
            found
        }
        failed => {
            let reason = match failed {
                Some(Err(error)) => error.to_string(),
                _ => format!("no answer within {} s", DATABASE_BUDGET.as_secs()),
            };
            let copy = RECENT_NUMBERS.with(|recent| {
                recent
                    .borrow()
                    .get(to.as_str())
                    .filter(|(_, at)| now_ms().saturating_sub(*at) < CONFIG_COPY_MAX_AGE_MS)
                    .map(|(number, _)| number.clone())
            });
            log::error(&format!(
                "[Voice Phase 1] Database unavailable for {call_sid} ({reason}); {}",
                if copy.is_some() {
                    "forwarding from this isolate's copy of the number's settings; Phase 2 will record the call"
                } else {
                    "no copy of the number's settings: apologising to the caller"
                }
            ));
            match copy {
                Some(number) => Some(number),
                None => return Ok(twiml::say_and_hang_up(APOLOGY)),
            }
        }
    };

    match business {
        Some(number) if number.enabled => {
            let action = twiml::dial_action_url(app_url, from, to.as_str());
            Ok(twiml::dial(
                &action,
                number.dial_timeout_secs,
                &number.forward_to,
            ))
        }
        _ => {
            log::warn(&format!(
                "[Voice Phase 1] {} is not a configured, enabled number: telling the caller it is not in service",
                to.masked()
            ));
            Ok(twiml::say_and_hang_up(NOT_IN_SERVICE))
        }
    }
}

fn dial_result(
    webhook: &Webhook,
    config: Config,
    env: &Env,
    ctx: &Context,
) -> std::result::Result<String, String> {
    let call_sid = webhook.required("CallSid")?.to_string();
    let dial_status = webhook.required("DialCallStatus")?.to_string();
    let from = webhook
        .query("origFrom")
        .or(webhook.param("From"))
        .ok_or("missing origFrom")?;
    let to = webhook
        .query("origTo")
        .or(webhook.param("To"))
        .ok_or("missing origTo")?;
    let call = CallRef {
        call_sid,
        from_number: from.to_string(),
        to_number: to.to_string(),
    };
    let caller_gone = webhook
        .param("CallStatus")
        .is_some_and(|s| s != "in-progress");

    let what = format!("process {}", call.call_sid);
    if is_missed(&dial_status) {
        if config.polling_only {
            log::info(&format!(
                "[Voice Phase 2] Missed call detected - polling-only mode, the poll will text: {} ({dial_status})",
                call.call_sid
            ));
            in_background(ctx, env, what, move |db| async move {
                store::record_dial_result(&db, &call, &dial_status).await
            });
        } else {
            log::info(&format!(
                "[Voice Phase 2] Missed call detected - processing immediately: {} ({dial_status})",
                call.call_sid
            ));
            let twilio = config.twilio;
            in_background(ctx, env, what, move |db| async move {
                let by = ProcessedBy::Callback;
                handle_missed_call(&db, &WorkerFetch, &twilio, &call, by, Some(&dial_status)).await
            });
        }
        Ok(if caller_gone {
            twiml::empty()
        } else {
            twiml::say_and_hang_up(MISSED)
        })
    } else if is_answered(&dial_status) {
        log::info(&format!(
            "[Voice Phase 2] Call {} was answered ({dial_status})",
            call.call_sid
        ));
        in_background(ctx, env, what, move |db| async move {
            let by = ProcessedBy::Callback;
            store::settle_without_text(&db, &call, by, "answered", Some(&dial_status)).await
        });
        Ok(twiml::empty())
    } else {
        log::warn(&format!(
            "[Voice Phase 2] Unrecognised DialCallStatus {dial_status:?} for {}: leaving it to the poll",
            call.call_sid
        ));
        Ok(twiml::empty())
    }
}

/// Runs database work after the TwiML has gone back to Twilio (`waitUntil` allows 30 s).
fn in_background<Work, Fut, T>(ctx: &Context, env: &Env, what: String, work: Work)
where
    Work: FnOnce(database::Client) -> Fut + 'static,
    Fut: Future<Output = std::result::Result<T, DbError>> + 'static,
{
    let env = env.clone();
    ctx.wait_until(async move {
        // A database that is briefly away gets two more chances inside waitUntil's 30 s, since
        // Twilio will not send this callback again.
        let mut connected = database::connect(&env).await;
        for pause in CONNECT_RETRY_PAUSES {
            if connected.is_ok() {
                break;
            }
            Delay::from(pause).await;
            connected = database::connect(&env).await;
        }
        let outcome = match connected {
            Ok(db) => work(db).await.map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            log::error(&format!("[Voice Phase 2] Could not {what}: {error}"));
        }
    });
}
