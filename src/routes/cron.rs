//! The scheduled jobs, reachable two ways: the cron triggers in wrangler.toml, and bearer-protected
//! endpoints for an external scheduler. Both run `run_with`.
use crate::config::Config;
use crate::edge::{self, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::log::Log;
use crate::routes::Job;
use crate::store::poll as store;
use crate::{database, info, poll};
use worker::{Env, Request};

const CLEANUP: Log = Log("[Cleanup]");

/// What a cron trigger runs; the error is logged by the scheduled entry.
pub async fn run(job: Job, env: &Env) -> Result<serde_json::Value, ApiError> {
    let config = edge::load_config(env)?;
    run_with(job, env, &config).await
}

async fn run_with(job: Job, env: &Env, config: &Config) -> Result<serde_json::Value, ApiError> {
    let db = database::connect(env).await?;
    Ok(match job {
        Job::CheckMissedCalls => {
            let summary =
                poll::check_missed_calls(&db, &WorkerFetch, &config.twilio, &config.poll).await?;
            serde_json::json!(summary)
        }
        Job::Cleanup => {
            let days = config.poll.cleanup_after_days;
            let deleted = store::delete_processed(&db, days).await?;
            info!(
                CLEANUP,
                "Deleted {deleted} processed calls older than {days} days"
            );
            serde_json::json!({ "deleted": deleted })
        }
    })
}

/// `GET /api/cron/check-missed-calls` and `DELETE /api/cron/cleanup-old-calls`.
pub async fn endpoint(request: &Request, env: &Env, job: Job) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    edge::require_token(request, &config.cron_secret, "CRON_SECRET")?;
    let summary = run_with(job, env, &config).await?;
    Ok(Reply::json(200, &summary))
}
