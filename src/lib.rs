//! Missed-call text-back as a Cloudflare Worker. This file only routes; each capability lives in
//! its own module.
pub mod business;
pub mod config;
pub mod database;
pub mod http;
pub mod log;
pub mod missed_call;
pub mod phone_number;
pub mod poll;
pub mod routes;
pub mod store;
pub mod twilio;

#[cfg(target_arch = "wasm32")]
mod edge;
#[cfg(not(target_arch = "wasm32"))]
pub mod migrations;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::edge;
    use crate::routes::cron::{self, Job, CHECK_MISSED_CALLS_PATH, CLEANUP_PATH};
    use crate::routes::{admin, health, voice, VOICE_WEBHOOK_PATH};
    use worker::{
        event, Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent,
    };

    #[event(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    #[event(fetch)]
    async fn fetch(request: Request, env: Env, ctx: Context) -> Result<Response> {
        let path = request.path();
        let method = request.method();
        match path.as_str() {
            "/api/health" => match method {
                Method::Get => health::health(&env).await,
                _ => edge::method_not_allowed("GET"),
            },
            VOICE_WEBHOOK_PATH => match method {
                Method::Post => voice::voice(request, &env, &ctx).await,
                _ => edge::method_not_allowed("POST"),
            },
            CHECK_MISSED_CALLS_PATH => match method {
                Method::Get => cron::endpoint(&request, &env, Job::CheckMissedCalls).await,
                _ => edge::method_not_allowed("GET"),
            },
            CLEANUP_PATH => match method {
                Method::Delete => cron::endpoint(&request, &env, Job::Cleanup).await,
                _ => edge::method_not_allowed("DELETE"),
            },
            admin::NUMBERS_PATH => admin::numbers(request, &env, None).await,
            _ => match path
                .strip_prefix(admin::NUMBERS_PATH)
                .and_then(|p| p.strip_prefix('/'))
            {
                Some(number) if !number.is_empty() && !number.contains('/') => {
                    admin::numbers(request, &env, Some(number)).await
                }
                _ => edge::error(404, format!("no route for {path}")),
            },
        }
    }

    #[event(scheduled)]
    async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let cron = event.cron();
        match Job::for_cron(&cron) {
            Some(job) => {
                if let Err(reason) = cron::run(job, &env).await {
                    crate::log::error(&format!("[Scheduled] {job:?} ({cron}) failed: {reason}"));
                }
            }
            None => crate::log::warn(&format!("[Scheduled] Unknown cron {cron:?}: ignored")),
        }
    }
}
