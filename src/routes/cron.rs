//! The scheduled jobs, reachable two ways: the cron triggers in wrangler.toml, and bearer-protected
//! endpoints for an external scheduler. Both run the same functions.
use crate::config::Config;
use crate::edge::{self, WorkerFetch};
use crate::{database, log, poll, store};
use worker::{Env, Request, Response, Result};

pub const CHECK_MISSED_CALLS_PATH: &str = "/api/cron/check-missed-calls";
pub const CLEANUP_PATH: &str = "/api/cron/cleanup-old-calls";
/// Must match `[triggers] crons` in wrangler.toml.
pub const POLL_CRON: &str = "*/1 * * * *";
pub const CLEANUP_CRON: &str = "0 4 * * 1";

#[derive(Debug, Clone, Copy)]
pub enum Job {
    CheckMissedCalls,
    Cleanup,
}

impl Job {
    pub fn for_cron(cron: &str) -> Option<Job> {
        match cron {
            POLL_CRON => Some(Job::CheckMissedCalls),
            CLEANUP_CRON => Some(Job::Cleanup),
            _ => None,
        }
    }
}

pub async fn run(job: Job, env: &Env) -> std::result::Result<serde_json::Value, String> {
    let config = edge::load_config(env).map_err(|e| e.to_string())?;
    run_with(job, env, &config).await
}

async fn run_with(
    job: Job,
    env: &Env,
    config: &Config,
) -> std::result::Result<serde_json::Value, String> {
    let db = database::connect(env)
        .await
        .map_err(|e| format!("database unavailable: {e}"))?;
    let outcome = match job {
        Job::CheckMissedCalls => {
            poll::check_missed_calls(&db, &WorkerFetch, &config.twilio, &config.poll)
                .await
                .map(|summary| serde_json::json!(summary))
        }
        Job::Cleanup => store::delete_processed_calls(&db, config.poll.cleanup_after_days)
            .await
            .map(|deleted| {
                log::info(&format!(
                    "[Cleanup] Deleted {deleted} processed calls older than {} days",
                    config.poll.cleanup_after_days
                ));
                serde_json::json!({ "deleted": deleted })
            }),
    };
    outcome.map_err(|e| format!("database error: {e}"))
}

/// `GET /api/cron/check-missed-calls` and `DELETE /api/cron/cleanup-old-calls`.
pub async fn endpoint(request: &Request, env: &Env, job: Job) -> Result<Response> {
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => return edge::config_unavailable(&problem),
    };
    if let Some(denied) = edge::require_bearer(request, &config.cron_secret) {
        return denied;
    }
    match run_with(job, env, &config).await {
        Ok(summary) => edge::json(200, &summary),
        Err(reason) => {
            log::error(&format!("[Cron] {job:?} failed: {reason}"));
            edge::error(503, reason)
        }
    }
}
