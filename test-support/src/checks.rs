//! Helpers for the optional CHECKS queue: a worker with the queue bound (wrangler dev runs the
//! producer and the consumer in Miniflare), a number whose checks come due seconds after Phase 1,
//! and waiting for the consumer. Queue delays are real time in Miniflare, so they are kept short
//! and waited for with a deadline, never timed.
use crate::app::{spawn_app_with, Options, TestApp};
use std::time::{Duration, Instant};

/// The test number's dial timeout (the shortest allowed) and the worker's callback grace: a
/// forwarded call's check is delivered this many seconds after Phase 1.
pub const QUEUE_DIAL_TIMEOUT_SECS: u32 = 5;
pub const QUEUE_GRACE_SECS: u32 = 1;

/// What the consumer logs when it has worked a batch.
const CHECK_DONE: &str = "[Check Queue] Done:";
/// What it logs first, with the batch's Call SIDs.
const CHECKING: &str = "[Check Queue] Checking";

/// A worker whose checks come due `QUEUE_GRACE_SECS` after a call's dial timeout, with the CHECKS
/// queue bound (`queue`) or not.
pub async fn spawn_app_with_short_checks(queue: bool) -> TestApp {
    spawn_app_with(Options {
        vars: vec![("CALLBACK_GRACE_SECS", Some(QUEUE_GRACE_SECS.to_string()))],
        queue,
        ..Options::default()
    })
    .await
}

/// A worker with the CHECKS queue bound and short checks.
pub async fn spawn_app_with_queue() -> TestApp {
    spawn_app_with_short_checks(true).await
}

impl TestApp {
    /// The default number (texting every call) with the shortest dial timeout, so its calls' checks
    /// come due seconds after Phase 1.
    pub async fn configure_number_with_short_checks(&self) {
        let settings = serde_json::json!({
            "dial_timeout_secs": QUEUE_DIAL_TIMEOUT_SECS,
            "cooldown_hours": 0,
            "daily_text_limit": 100_000,
        });
        let reply = self.configure_default_number_with(settings).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    /// How many batches the consumer has finished.
    pub fn check_batches_done(&self) -> usize {
        self.worker_log().matches(CHECK_DONE).count()
    }

    /// How many times the consumer was handed `call_sid`'s check.
    pub fn checks_delivered(&self, call_sid: &str) -> usize {
        self.worker_log()
            .lines()
            .filter(|line| line.contains(CHECKING))
            .map(|line| line.matches(call_sid).count())
            .sum()
    }

    /// Waits until `call_sid`'s check has reached the consumer `times` times and the consumer has
    /// finished what it was handed; fails with the worker's log past a deadline well beyond the
    /// queue's delay.
    pub async fn wait_for_checks(&self, call_sid: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.worker_log();
            let started = log.matches(CHECKING).count();
            let finished = log.matches(CHECK_DONE).count();
            if self.checks_delivered(call_sid) >= times && finished >= started {
                return;
            }
            if Instant::now() > deadline {
                panic!("the consumer did not check {call_sid} {times} times:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
