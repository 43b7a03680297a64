//! The fan-out on Cloudflare Queues, optional: with a `CHECKS` queue bound, Phase 1 queues each
//! forwarded call's check to be delivered when the call is due (its dial timeout + the callback's
//! grace), and the consumer runs the poll's own check on the calls of a batch. A lost callback is
//! then handled seconds after it was due instead of at the next cron tick, and the work spreads
//! over as many consumer invocations as Cloudflare runs, each with a subrequest budget of its own.
//! Without the binding nothing here runs and the cron poll does it all; with it, the poll stays
//! the safety net of every call whose check never ran. Messages are delivered at least once: the
//! poll's lease and the missed-call claim make a second delivery harmless.
use crate::alerts;
use crate::edge::{self, WorkerFetch};
use crate::error::ApiError;
use crate::log::Log;
use crate::missed_call::Texting;
use crate::poll::{self, ListedCheck};
use crate::voice::DueCheck;
use crate::{database, error, info, warn};
use worker::{
    Context, Env, Message, MessageBatch, MessageBuilder, MessageExt, QueueRetryOptionsBuilder,
};

/// The binding's name in wrangler.toml; both the producer and the consumer use it.
const BINDING: &str = "CHECKS";
const LOG: Log = Log("[Check Queue]");
/// A batch the database or the settings failed is delivered again after this; after the queue's
/// `max_retries` the poll checks its calls.
const RETRY_DELAY_SECS: u32 = 30;

/// Phase 1, after the TwiML answer: queues the call's check, delivered in `delay_secs`. Without
/// the binding it does nothing (the poll alone checks calls); a failed send is logged, and the
/// poll checks the call as it would have anyway.
pub fn enqueue(ctx: &Context, env: &Env, check: DueCheck, delay_secs: u32) {
    let Ok(queue) = env.queue(BINDING) else {
        return;
    };
    ctx.wait_until(async move {
        let call_sid = check.call_sid.clone();
        let message = MessageBuilder::new(check).delay_seconds(delay_secs).build();
        match queue.send(message).await {
            Ok(()) => info!(LOG, "Queued the check of {call_sid} in {delay_secs} s"),
            Err(failure) => warn!(
                LOG,
                "Could not queue the check of {call_sid} ({failure}): the poll will check it"
            ),
        }
    });
}

/// The consumer: checks the batch's calls in one invocation and acknowledges their messages. A
/// call the budget had no room for is delivered again at once; a call still undecided (ringing, a
/// screened forward in progress) is acknowledged and left to the poll's backoff, as is a call not
/// due or already settled, and a call a database error hit on its own (the poll tries it again).
/// When the settings fail, or the database before any call was leased, the whole batch comes back
/// after `RETRY_DELAY_SECS`.
pub async fn consume(batch: MessageBatch<DueCheck>, env: &Env) {
    let mut messages: Vec<Message<DueCheck>> = Vec::new();
    for message in batch.iter() {
        match message {
            Ok(message) => messages.push(message),
            // Acknowledged with the batch: delivering it again would not make it readable.
            Err(failure) => warn!(LOG, "Dropped a message that is not a check: {failure}"),
        }
    }
    if messages.is_empty() {
        return;
    }
    let call_sids: Vec<String> = messages.iter().map(|m| m.body().call_sid.clone()).collect();
    info!(
        LOG,
        "Checking {} calls: {}",
        call_sids.len(),
        call_sids.join(", ")
    );
    match check(env, &call_sids).await {
        Ok(checked) => {
            for message in &messages {
                if checked.deferred.contains(&message.body().call_sid) {
                    message.retry();
                } else {
                    message.ack();
                }
            }
            if !checked.deferred.is_empty() {
                info!(
                    LOG,
                    "No budget left for {}: delivering them again",
                    checked.deferred.join(", ")
                );
            }
            info!(
                LOG,
                "Done: {}",
                serde_json::to_string(&checked.summary).unwrap_or_default()
            );
        }
        Err(failure) => {
            error!(
                LOG,
                "Could not check {} calls ({failure}): delivering them again in {RETRY_DELAY_SECS} s",
                call_sids.len()
            );
            let later = QueueRetryOptionsBuilder::new()
                .with_delay_seconds(RETRY_DELAY_SECS)
                .build();
            for message in &messages {
                message.retry_with_options(&later);
            }
        }
    }
}

/// Connects the way the cron does and runs the poll's check on the listed calls; a text that
/// failed for good counts toward the delivery alert, as after a poll run.
async fn check(env: &Env, call_sids: &[String]) -> Result<ListedCheck, ApiError> {
    let config = edge::load_config(env)?;
    let db = database::connect(env).await?;
    let texting = Texting::now(&config);
    let checked = poll::check_listed(&db, &WorkerFetch, &texting, call_sids).await?;
    if checked.summary.failed > 0 {
        let monitoring = &config.monitoring;
        if let Err(failure) = alerts::after_delivery_failure(&db, &WorkerFetch, monitoring).await {
            warn!(
                LOG,
                "Could not count the last hour's failed texts: {failure}"
            );
        }
    }
    Ok(checked)
}
