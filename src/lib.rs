//! Missed-call text-back as a Cloudflare Worker. This file holds the runtime's entry points only:
//! a request is routed by `routes::route` and handed to its handler; a cron trigger is matched to
//! its job by `routes::Job::for_cron`; a batch from the optional `CHECKS` queue goes to
//! `routes::checks::consume`. Everything else lives in its own module (see README,
//! Layout).
pub mod alerts;
pub mod config;
pub mod conversation;
pub mod dashboard;
pub mod database;
pub mod domain;
pub mod error;
pub mod http;
pub mod line_type;
pub mod log;
pub mod missed_call;
pub mod owner_notice;
pub mod poll;
pub mod routes;
pub mod store;
pub mod twilio;
pub mod voice;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::edge;
    use crate::error::Reply;
    use crate::log::Log;
    use crate::routes::{
        self, admin, checks, cron, dial_status, health, message_status, recording, screen, sms,
        stats, voice, Job, Route,
    };
    use crate::voice::DueCheck;
    use worker::{
        event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext,
        ScheduledEvent,
    };

    const SCHEDULED: Log = Log("[Scheduled]");

    #[event(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    #[event(fetch)]
    async fn fetch(request: Request, env: Env, ctx: Context) -> Result<Response> {
        let route = match routes::route(edge::method(&request), &request.path()) {
            Ok(route) => route,
            Err(rejected) => return edge::respond(Err(rejected), routes::ROUTER_LOG),
        };
        let log = route.log();
        let outcome = match route {
            Route::Health => health::health(&env).await,
            Route::Voice => voice::voice(request, &env, &ctx).await,
            Route::Screen => screen::screen(request, &env).await,
            Route::DialStatus => dial_status::dial_status(request, &env, &ctx).await,
            Route::MessageStatus => message_status::message_status(request, &env, &ctx).await,
            Route::Sms => sms::sms(request, &env, &ctx).await,
            Route::Recording => recording::recording(request, &env, &ctx).await,
            Route::Cron(job) => cron::endpoint(&request, &env, job).await,
            Route::Numbers(asked) => admin::numbers(request, &env, asked).await,
            Route::Stats => stats::stats(&request, &env).await,
            Route::Dashboard => stats::dashboard(&request, &env).await,
            Route::Root => Ok(Reply::redirect(routes::DASHBOARD_PATH)),
        };
        edge::respond(outcome, log)
    }

    #[event(scheduled)]
    async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let cron = event.cron();
        match Job::for_cron(&cron) {
            Some(job) => {
                if let Err(reason) = cron::run(job, &env).await {
                    crate::error!(SCHEDULED, "{job:?} ({cron}) failed: {reason}");
                }
            }
            None => crate::warn!(SCHEDULED, "Unknown cron {cron:?}: ignored"),
        }
    }

    #[event(queue)]
    async fn queue(batch: MessageBatch<DueCheck>, env: Env, _ctx: Context) -> Result<()> {
        checks::consume(batch, &env).await;
        Ok(())
    }
}
