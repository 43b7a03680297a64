//! Alerts: the cron gone quiet, texts failing or not delivered, a poll run that failed. Each kind
//! goes out at most once an hour across all isolates (claimed in `poll_state` as `alert:<kind>`),
//! always as an `[Alert] …` log line, and as `{"text": …}` POSTed to `ALERT_WEBHOOK_URL` when it is
//! set (Slack, Discord-compatible and Teams-style incoming webhooks take that shape). Alerts are
//! raised only from background work and from the poll, never on the way to a TwiML answer.
use crate::config::{MonitoringSettings, Secret};
use crate::database::{Client, DbError};
use crate::domain::{BusinessNumber, Heartbeat};
use crate::http::{HttpClient, Method, OutboundRequest, TransportError};
use crate::log::{mask_numbers, Log};
use crate::store::{calls, poll_runs, poll_state};
use crate::{error, info, warn};
use std::cell::RefCell;
use std::collections::HashMap;

const LOG: Log = Log("[Alert]");

/// At most one alert of a kind this often.
pub const ALERT_EVERY_SECS: u32 = 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    CronStale,
    DeliveryFailures,
    PollFailed,
}

impl AlertKind {
    /// The `poll_state.job` that records when this kind last went out.
    fn job(self) -> &'static str {
        match self {
            AlertKind::CronStale => "alert:cron_stale",
            AlertKind::DeliveryFailures => "alert:delivery_failures",
            AlertKind::PollFailed => "alert:poll_failed",
        }
    }
}

/// The POST of an alert to an incoming webhook; phone numbers are masked as in the log.
pub fn webhook_request(url: &Secret, text: &str) -> OutboundRequest {
    OutboundRequest {
        method: Method::Post,
        url: url.expose().to_string(),
        headers: vec![("Content-Type".to_string(), "application/json".to_string())],
        body: Some(serde_json::json!({ "text": mask_numbers(text) }).to_string()),
    }
}

/// The alert when a poll run fails as a whole. The reason stays in the log (`[Check Missed
/// Calls]`): a database error can name its host or user, which a chat channel need not see.
pub const POLL_FAILED: &str =
    "Missed-call text-back: a poll run failed. Until runs succeed again, \
     a missed call whose callback was lost gets no text. Check /api/health and the [Check Missed \
     Calls] log lines for the reason.";

/// The delivery alert's text, when `failures` in the last hour reach the threshold.
pub fn delivery_alert(failures: i64, threshold: u32) -> Option<String> {
    (failures >= i64::from(threshold)).then(|| {
        format!(
            "Missed-call text-back: {failures} texts failed or were not delivered in the last hour \
             (ALERT_FAILURE_THRESHOLD is {threshold}). The dashboard (/dashboard) shows which and \
             why; carrier filtering (30007, 30034) means the number's A2P 10DLC registration."
        )
    })
}

/// Sends alert `kind` unless one of that kind went out within the hour; returns whether it did. A
/// POST that fails on the way (timeout, connection, 5xx) gives the hour back, so the next look
/// tries again; a webhook that refuses it (4xx: a wrong URL) keeps it, or every webhook would.
pub async fn raise(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    kind: AlertKind,
    text: &str,
) -> Result<bool, DbError> {
    raise_as(db, http, settings, kind.job(), text).await
}

/// `raise` for the alert recorded as `job` in `poll_state`.
async fn raise_as(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    job: &str,
    text: &str,
) -> Result<bool, DbError> {
    if poll_state::claim_run(db, job, ALERT_EVERY_SECS)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    if deliver(http, settings, text).await == Delivery::Transient {
        poll_state::release(db, job, ALERT_EVERY_SECS).await?;
    }
    Ok(true)
}

/// The alert when a number reaches its daily text limit: once an hour per number.
pub fn daily_limit_alert(business: &BusinessNumber) -> String {
    format!(
        "Missed-call text-back: {} ({}) reached its daily limit of {} texts; its missed calls are \
         not texted until midnight ({}). Raise daily_text_limit with the admin API if the calls are \
         real; a sudden burst from unfamiliar numbers may be SMS pumping.",
        business.business_name,
        business.twilio_number.masked(),
        business.rules.daily_text_limit,
        business.rules.timezone
    )
}

pub async fn daily_limit_reached(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    business: &BusinessNumber,
) -> Result<bool, DbError> {
    let job = format!("alert:daily_limit:{}", business.twilio_number);
    raise_as(db, http, settings, &job, &daily_limit_alert(business)).await
}

thread_local! {
    /// When each kind last went out from this isolate without the database (ms since the epoch).
    static UNRECORDED: RefCell<HashMap<AlertKind, u64>> = RefCell::new(HashMap::new());
}

/// A poll run failed: the alert, recorded in the database when `db` can take it, else once an
/// hour per isolate. That fallback bounds a database outage's alerts by the isolates the cron
/// lands on (one an hour each), not by one for the deployment.
pub async fn poll_failed(
    db: Option<&Client>,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    now_ms: u64,
) {
    let kind = AlertKind::PollFailed;
    let recorded = match db {
        Some(db) => raise(db, http, settings, kind, POLL_FAILED).await.is_ok(),
        None => false,
    };
    if !recorded {
        raise_unrecorded(http, settings, kind, POLL_FAILED, now_ms).await;
    }
}

/// An alert raised when the database cannot record it: at most once an hour per isolate.
async fn raise_unrecorded(
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    kind: AlertKind,
    text: &str,
    now_ms: u64,
) -> bool {
    let due = UNRECORDED.with(|sent| {
        let mut sent = sent.borrow_mut();
        let last = sent.get(&kind).copied();
        let hour = u64::from(ALERT_EVERY_SECS) * 1000;
        let due = last.is_none_or(|at| now_ms.saturating_sub(at) >= hour);
        if due {
            sent.insert(kind, now_ms);
        }
        due
    });
    if due {
        deliver(http, settings, text).await;
    }
    due
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Posted, or logged only because no webhook is set.
    Done,
    /// The webhook refused it (4xx): trying again would not help.
    Refused,
    /// It did not get through this time.
    Transient,
}

async fn deliver(http: &impl HttpClient, settings: &MonitoringSettings, text: &str) -> Delivery {
    warn!(LOG, "{text}");
    let Some(url) = &settings.alert_webhook_url else {
        return Delivery::Done;
    };
    match http.send(webhook_request(url, text)).await {
        Ok(reply) if (200..300).contains(&reply.status) => {
            info!(LOG, "Posted to ALERT_WEBHOOK_URL");
            Delivery::Done
        }
        Ok(reply) => {
            error!(
                LOG,
                "ALERT_WEBHOOK_URL answered HTTP {}: the alert above went to the log only",
                reply.status
            );
            if reply.status >= 500 {
                Delivery::Transient
            } else {
                Delivery::Refused
            }
        }
        Err(failure) => {
            // Only the kind: the runtime's message can quote the URL, and with it its token.
            let kind = match failure {
                TransportError::Timeout => "timed out",
                TransportError::Connection(_) => "could not connect",
            };
            error!(
                LOG,
                "ALERT_WEBHOOK_URL {kind}: the alert above went to the log only, and is tried again at the next look"
            );
            Delivery::Transient
        }
    }
}

/// After a text failed for good or was reported undelivered: alert when the last hour's failures
/// reach the threshold.
pub async fn after_delivery_failure(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
) -> Result<(), DbError> {
    let failures = calls::recent_delivery_failures(db).await?;
    if let Some(text) = delivery_alert(failures, settings.failure_alert_threshold) {
        raise(db, http, settings, AlertKind::DeliveryFailures, &text).await?;
    }
    Ok(())
}

/// A webhook's look at the cron's heartbeat (a few index probes, uncached): the alert when the poll
/// has gone quiet.
pub async fn check_cron(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
) -> Result<(), DbError> {
    let heartbeat = poll_runs::heartbeat(db).await?;
    cron_stale(db, http, settings, &heartbeat, "").await
}

/// Raises the cron alert when `heartbeat` says the poll has been quiet too long; `noticed` ends
/// the text (who noticed, and what happens now).
pub async fn cron_stale(
    db: &Client,
    http: &impl HttpClient,
    settings: &MonitoringSettings,
    heartbeat: &Heartbeat,
    noticed: &str,
) -> Result<(), DbError> {
    if let Some(reason) = heartbeat.cron_alarm(settings.cron_alarm_secs) {
        let text = format!("Missed-call text-back: {reason}{noticed}");
        raise(db, http, settings, AlertKind::CronStale, &text).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::InboundResponse;

    #[derive(Default)]
    struct Recorder(RefCell<Vec<OutboundRequest>>);

    impl HttpClient for Recorder {
        async fn send(&self, request: OutboundRequest) -> Result<InboundResponse, TransportError> {
            self.0.borrow_mut().push(request);
            Ok(InboundResponse {
                status: 200,
                body: "ok".to_string(),
            })
        }
    }

    #[test]
    fn the_webhook_gets_json_with_a_text_field() {
        let url = Secret::new("https://hooks.example.com/services/T0/B0/token");
        let request = webhook_request(&url, "Cron \"stale\" for +14155550123");
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            "https://hooks.example.com/services/T0/B0/token"
        );
        let body: serde_json::Value =
            serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({ "text": "Cron \"stale\" for ********0123" })
        );
        assert!(request
            .headers
            .contains(&("Content-Type".to_string(), "application/json".to_string())));
    }

    #[test]
    fn delivery_alert_only_at_the_threshold() {
        assert_eq!(delivery_alert(2, 3), None);
        let text = delivery_alert(3, 3).unwrap();
        assert!(text.contains("3 texts failed"), "{text}");
        assert!(text.contains("ALERT_FAILURE_THRESHOLD is 3"), "{text}");
        assert!(delivery_alert(0, 1).is_none());
    }

    #[test]
    fn without_the_database_an_isolate_alerts_once_an_hour() {
        let http = Recorder::default();
        let settings = MonitoringSettings {
            alert_webhook_url: Some(Secret::new("https://hooks.example.com/x")),
            ..MonitoringSettings::default()
        };
        let hour = u64::from(ALERT_EVERY_SECS) * 1000;
        let at = 1_800_000_000_000;
        let raised: Vec<bool> = [at, at + 1, at + hour - 1, at + hour]
            .into_iter()
            .map(|now| {
                futures::executor::block_on(raise_unrecorded(
                    &http,
                    &settings,
                    AlertKind::PollFailed,
                    "poll failed",
                    now,
                ))
            })
            .collect();
        assert_eq!(raised, [true, false, false, true]);
        assert_eq!(http.0.borrow().len(), 2);
        // Another kind has its own hour.
        assert!(futures::executor::block_on(raise_unrecorded(
            &http,
            &settings,
            AlertKind::CronStale,
            "cron",
            at + 1
        )));
    }
}
