//! `GET /api/health`: whether the settings are complete, the database answers (not from
//! Hyperdrive's cache) and the cron's poll keeps running, for uptime checks and for the operator
//! after a deploy. A poll quiet for longer than `CRON_ALARM_SECS` while there are calls is a 503
//! naming the cron, so any uptime monitor pointed here raises the design document's "missing cron
//! executions" alarm. It is public, so it says what is wrong without details (no host, user or
//! server message); the details go to the log.
use crate::edge::{self, with_timeout};
use crate::error::{ApiError, Reply};
use crate::routes::HEALTH_LOG as LOG;
use crate::store::poll_runs;
use crate::{database, error};
use std::time::Duration;
use worker::Env;

const BUDGET: Duration = Duration::from_secs(5);

pub async fn health(env: &Env) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    let mut settings: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
    let mut heartbeat = None;
    let database = match database::configured(env) {
        Err(problem) => {
            settings.push(problem.to_string());
            "misconfigured"
        }
        Ok(connection) => {
            let check = async {
                let db = database::connect_to(connection).await?;
                poll_runs::heartbeat(&db).await
            };
            match with_timeout(BUDGET, check).await {
                Some(Ok(beat)) => {
                    heartbeat = Some(beat);
                    "ok"
                }
                outcome => {
                    let reason = match outcome {
                        Some(Err(error)) => error.to_string(),
                        _ => format!("no answer within {} s", BUDGET.as_secs()),
                    };
                    error!(LOG, "database unreachable: {reason}");
                    "unreachable"
                }
            }
        }
    };
    let alarm = heartbeat
        .as_ref()
        .and_then(|beat| beat.cron_alarm(config.monitoring.cron_alarm_secs));
    if let Some(reason) = &alarm {
        error!(LOG, "{reason}");
    }
    let healthy = database == "ok" && settings.is_empty() && alarm.is_none();
    Ok(Reply::json(
        if healthy { 200 } else { 503 },
        &serde_json::json!({
            "status": if healthy { "ok" } else { "error" },
            "database": database,
            "settings": if settings.is_empty() { serde_json::json!("ok") } else { serde_json::json!(settings) },
            "last_poll_at": heartbeat.as_ref().and_then(|beat| beat.last_poll_rfc3339()),
            "cron": match (&heartbeat, &alarm) {
                (None, _) => "unknown",
                (Some(_), Some(reason)) => reason.as_str(),
                (Some(_), None) => "ok",
            },
        }),
    ))
}
