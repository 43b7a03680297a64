//! `GET /api/health`: whether the settings are complete and the database answers (not from
//! Hyperdrive's cache), for uptime checks and for the operator after a deploy.
use crate::edge::{self, with_timeout};
use crate::error::{ApiError, Reply};
use crate::routes::HEALTH_LOG as LOG;
use crate::{database, error, store};
use std::time::Duration;
use worker::Env;

const BUDGET: Duration = Duration::from_secs(5);

pub async fn health(env: &Env) -> Result<Reply, ApiError> {
    edge::load_config(env)?;
    let check = async {
        let db = database::connect(env).await?;
        store::ping(&db).await
    };
    Ok(match with_timeout(BUDGET, check).await {
        Some(Ok(())) => Reply::json(
            200,
            &serde_json::json!({ "status": "ok", "database": "ok" }),
        ),
        outcome => {
            let reason = match outcome {
                Some(Err(error)) => error.to_string(),
                _ => format!("no answer within {} s", BUDGET.as_secs()),
            };
            error!(LOG, "database unreachable: {reason}");
            Reply::json(
                503,
                &serde_json::json!({ "status": "error", "database": format!("unreachable: {reason}") }),
            )
        }
    })
}
