//! Helpers for the cron endpoints and triggers, and for making time pass: calls are aged by moving
//! their timestamps in the database, never by sleeping.
use crate::app::{Reply, TestApp};
use crate::{call_sid, CRON_SECRET, DUE, TWILIO_NUMBER};
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

    /// A recorded Phase 1 whose callback never arrives, due for the poll, with Twilio scripted
    /// to report it.
    pub async fn lost_callback(&self, sid: &str, from: &str, parent: &str, children: &[&str]) {
        assert_eq!(self.incoming_call_from(sid, from).await.status, 200);
        self.age_call(sid, DUE).await;
        self.twilio.script_call(sid, parent, children);
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

    /// Makes `seconds` pass for everything the database keeps: each call's timestamps, the poll's
    /// runs and its periodic jobs, the alerts' hours, since when the cron is watched and the
    /// callers' cooldowns all move that far into the past, so backoffs, leases, claims, alarms and
    /// cooldowns run out as they would.
    pub async fn pass_time(&self, seconds: i32) {
        self.db
            .execute(
                "UPDATE active_calls SET
                     received_at = received_at - make_interval(secs => $1::int),
                     processed_at = processed_at - make_interval(secs => $1::int),
                     claimed_at = claimed_at - make_interval(secs => $1::int),
                     next_attempt_at = next_attempt_at - make_interval(secs => $1::int),
                     sms_sent_at = sms_sent_at - make_interval(secs => $1::int),
                     sms_status_at = sms_status_at - make_interval(secs => $1::int),
                     sms_delivered_at = sms_delivered_at - make_interval(secs => $1::int),
                     lease_until = lease_until - make_interval(secs => $1::int),
                     next_lookup_at = next_lookup_at - make_interval(secs => $1::int)",
                &[&seconds],
            )
            .await
            .unwrap();
        self.age_poll_runs(seconds).await;
        self.db
            .execute(
                "UPDATE caller_cooldowns SET texted_at = texted_at - make_interval(secs => $1::int)",
                &[&seconds],
            )
            .await
            .unwrap();
        self.db
            .execute(
                "UPDATE poll_state SET last_run_at = last_run_at - make_interval(secs => $1::int)",
                &[&seconds],
            )
            .await
            .unwrap();
    }

    /// A call to TWILIO_NUMBER whose claim for a text a crash left in `sending`
    /// `claimed_secs_ago` (it came in a minute before that): the text may or may not have gone.
    pub async fn seed_crashed_claim(&self, call_sid: &str, from: &str, claimed_secs_ago: i32) {
        self.db
            .execute(
                "INSERT INTO active_calls (call_sid, from_number, to_number, received_at, outcome,
                     processed_by, claimed_at, sms_attempts)
                 VALUES ($1, $2, $3, now() - make_interval(secs => $4::int + 60), 'sending',
                         'callback', now() - make_interval(secs => $4::int), 1)",
                &[&call_sid, &from, &TWILIO_NUMBER, &claimed_secs_ago],
            )
            .await
            .unwrap();
    }

    /// The unsettled calls a poll lease still holds.
    pub async fn leased_calls(&self) -> Vec<String> {
        self.db
            .query(
                "SELECT call_sid FROM active_calls
                 WHERE lease_until > now() AND NOT processed ORDER BY call_sid",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
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

    /// One poll run over `due` freshly seeded due calls, with what it cost: the benches' measure.
    pub async fn measured_poll(&self, due: u32) -> MeasuredPoll {
        self.seed_due_calls(due).await;
        let round_trips_before = self.db_round_trips().await;
        let requests_before = self.twilio.requests().len();
        let started = std::time::Instant::now();
        let summary = self.run_poll().await;
        let wall = started.elapsed();
        let twilio_requests = self.twilio.requests().len() - requests_before;
        // The counting query itself adds its own two.
        let db_round_trips = self.db_round_trips().await - round_trips_before - 2;
        MeasuredPoll {
            summary,
            wall,
            twilio_requests,
            db_round_trips,
        }
    }

    /// Transactions Postgres counted in this test's database. tokio-postgres prepares a plain
    /// parameterised statement in a round trip of its own, and each part ends in a Sync, so this
    /// counts the worker's database round trips (backends report within a second: it waits that).
    pub async fn db_round_trips(&self) -> i64 {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        self.db
            .query_one(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database
                 WHERE datname = current_database()",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Replaces every call with `count` lost callbacks ten minutes old to TWILIO_NUMBER, each from a
    /// caller of its own and missed (its child leg `no-answer`): due for the poll.
    pub async fn seed_due_calls(&self, count: u32) {
        self.db
            .execute("DELETE FROM active_calls", &[])
            .await
            .unwrap();
        for n in 0..count {
            let sid = call_sid(n);
            self.twilio.script_call(&sid, "completed", &["no-answer"]);
            self.seed_call(&sid, &format!("+1415{n:07}"), TWILIO_NUMBER, 600)
                .await;
        }
    }
}

/// A poll run and what it cost (`TestApp::measured_poll`).
pub struct MeasuredPoll {
    pub summary: PollSummary,
    pub wall: std::time::Duration,
    /// Requests the Twilio double received during the run.
    pub twilio_requests: usize,
    /// The worker's database round trips during the run.
    pub db_round_trips: i64,
}

/// The sizes a bench runs, from the environment variable `name` (`100,1000`), or `default`.
pub fn sizes_from_env(name: &str, default: &str) -> Vec<u32> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: numbers, such as {default}"))
        })
        .collect()
}
