//! Helpers for the cron endpoints and triggers, and for making time pass: calls are aged by moving
//! their timestamps in the database, never by sleeping.
use crate::app::{Reply, TestApp};
use crate::CRON_SECRET;
use missed_call_textback::poll::PollSummary;

impl TestApp {
    /// `GET /api/cron/check-missed-calls` with the right bearer, whatever it answers.
    pub async fn request_poll(&self) -> Reply {
        self.request(
            reqwest::Method::GET,
            "/api/cron/check-missed-calls",
            Some(CRON_SECRET),
            None,
        )
        .await
    }

    /// `GET /api/cron/check-missed-calls` with the right bearer; returns the run's summary.
    pub async fn run_poll(&self) -> PollSummary {
        let reply = self.request_poll().await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("not a poll summary ({e}): {}", reply.body))
    }

    /// What Cloudflare does when a cron trigger fires (wrangler dev --test-scheduled).
    pub async fn fire_cron(&self, cron: &str) -> Reply {
        let query = serde_urlencoded::to_string([("cron", cron)]).unwrap();
        self.get(&format!("/__scheduled?{query}")).await
    }

    /// Moves a call's arrival into the past, as if the callback's grace had run out.
    pub async fn age_call(&self, call_sid: &str, seconds: i32) {
        let updated = self
            .db
            .execute(
                "UPDATE active_calls SET received_at = now() - make_interval(secs => $2::int) WHERE call_sid = $1",
                &[&call_sid, &seconds],
            )
            .await
            .unwrap();
        assert_eq!(updated, 1, "no row for {call_sid}");
    }

    /// Lets the backoff of a failed lookup or send run out now.
    pub async fn end_backoff(&self, call_sid: &str) {
        self.db
            .execute(
                "UPDATE active_calls SET next_lookup_at = LEAST(next_lookup_at, now()),
                     next_attempt_at = LEAST(next_attempt_at, now()) WHERE call_sid = $1",
                &[&call_sid],
            )
            .await
            .unwrap();
    }

    /// `DELETE /api/cron/cleanup-old-calls` with the right bearer.
    pub async fn cleanup_old_calls(&self) -> Reply {
        self.request(
            reqwest::Method::DELETE,
            "/api/cron/cleanup-old-calls",
            Some(CRON_SECRET),
            None,
        )
        .await
    }
}
