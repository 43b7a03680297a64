//! `GET /api/health`: whether the settings are complete and the database answers (not from
//! Hyperdrive's cache), for uptime checks and for the operator after a deploy. It is public, so it
//! says what is wrong without details (no host, user or server message); the details go to the log.
use crate::edge::{self, with_timeout};
use crate::error::{ApiError, Reply};
use crate::routes::HEALTH_LOG as LOG;
use crate::{database, error, store};
use std::time::Duration;
use worker::Env;

const BUDGET: Duration = Duration::from_secs(5);

pub async fn health(env: &Env) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    let mut settings: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
    let database = match database::configured(env) {
        Err(problem) => {
            settings.push(problem.to_string());
            "misconfigured"
        }
        Ok(connection) => {
            let check = async {
                let db = database::connect_to(connection).await?;
                store::ping(&db).await
            };
            match with_timeout(BUDGET, check).await {
                Some(Ok(())) => "ok",
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
    let healthy = database == "ok" && settings.is_empty();
    Ok(Reply::json(
        if healthy { 200 } else { 503 },
        &serde_json::json!({
            "status": if healthy { "ok" } else { "error" },
            "database": database,
            "settings": if settings.is_empty() { serde_json::json!("ok") } else { serde_json::json!(settings) },
        }),
    ))
}
