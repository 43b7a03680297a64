//! The scheduled jobs, reachable two ways: the cron triggers in wrangler.toml, and bearer-protected
//! endpoints for an external scheduler. Both run `run_with`.
use crate::alerts;
use crate::config::Config;
use crate::domain::line_type::LINE_TYPE_CACHE_DAYS;
use crate::edge::{self, now_ms, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::log::Log;
use crate::routes::Job;
use crate::store::poll as store;
use crate::store::poll_runs::{self, Trigger};
use crate::store::{calls, line_types};
use crate::{database, info, poll};
use worker::{Env, Request};

const CLEANUP: Log = Log("[Cleanup]");

/// What a cron trigger runs; the error is logged by the scheduled entry.
pub async fn run(job: Job, env: &Env) -> Result<serde_json::Value, ApiError> {
    let config = edge::load_config(env)?;
    run_with(job, env, &config, Trigger::Cron).await
}

async fn run_with(
    job: Job,
    env: &Env,
    config: &Config,
    trigger: Trigger,
) -> Result<serde_json::Value, ApiError> {
    let connected = database::connect(env).await;
    Ok(match job {
        Job::CheckMissedCalls => {
            let db = match connected {
                Ok(db) => db,
                Err(failure) => {
                    let monitoring = &config.monitoring;
                    alerts::poll_failed(None, &WorkerFetch, monitoring, now_ms()).await;
                    return Err(failure.into());
                }
            };
            let summary = poll::run(&db, &WorkerFetch, config, trigger, now_ms()).await?;
            serde_json::json!(summary)
        }
        Job::Cleanup => {
            let db = connected?;
            let days = config.poll.cleanup_after_days;
            let deleted = store::delete_processed(&db, days).await?;
            let deleted_runs = poll_runs::delete_older_than(&db, days).await?;
            calls::delete_early_statuses(&db, days).await?;
            // Lookup's answers have an age of their own: they are paid for, and kept until then.
            let deleted_line_types =
                line_types::delete_older_than(&db, LINE_TYPE_CACHE_DAYS).await?;
            info!(
                CLEANUP,
                "Deleted {deleted} processed calls and {deleted_runs} poll runs older than {days} days, \
                 {deleted_line_types} line types older than {LINE_TYPE_CACHE_DAYS} days"
            );
            serde_json::json!({
                "deleted": deleted,
                "deleted_poll_runs": deleted_runs,
                "deleted_line_types": deleted_line_types,
            })
        }
    })
}

/// `GET /api/cron/check-missed-calls` and `DELETE /api/cron/cleanup-old-calls`.
pub async fn endpoint(request: &Request, env: &Env, job: Job) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    edge::require_token(request, &config.cron_secret, "CRON_SECRET")?;
    let summary = run_with(job, env, &config, Trigger::Endpoint).await?;
    Ok(Reply::json(200, &summary))
}
