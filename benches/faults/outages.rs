//! Outages of the parts around the worker, and of the worker itself: PostgreSQL stopped during
//! Phase 1, during Phase 2 and during a poll, then restarted; a statement cancelled by its timeout
//! in the middle of a decision; workerd killed while texts are being sent, then started again.
use crate::harness::{Row, Trial, World};
use std::time::{Duration, Instant};
use test_support::*;

/// When PostgreSQL goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Phase1,
    Phase2,
    Poll,
}

/// Forty calls a wave on a cluster of the scenario's own, stopped (fast shutdown) and started
/// again once a wave at `moment`:
/// - Phase 1: half the wave's calls ring while it is down (their answers must still connect the
///   caller, and the database never sees them); a fifth of every wave's Phase 2s are lost too, so
///   those calls are known to Twilio alone;
/// - Phase 2: every Phase 2 arrives while it is down;
/// - a poll: callbacks lost, the poll runs against a slower Twilio and the database stops once a
///   third of the wave's texts have been asked for.
pub async fn database_stopped(seed: u64, count: usize, moment: Moment) -> Row {
    let mut world = World::start(seed, Database::OwnCluster).await;
    let mut trials = world.trials(count, 75, 0);
    let mut down = 0u64;
    for wave in trials.chunks_mut(40) {
        match moment {
            Moment::Phase1 => {
                let half = wave.len() / 2;
                world.phase_1(&wave[..half]).await;
                world.app.stop_database();
                world.phase_1(&wave[half..]).await;
                world.app.start_database().await;
                down += unrecorded(&world, &wave[half..]).await;
                let answered = wave.len() * 4 / 5;
                let (ended, lost) = wave.split_at_mut(answered);
                world.phase_2(ended).await;
                world.lose_callbacks(lost).await;
            }
            Moment::Phase2 => {
                world.phase_1(wave).await;
                world.app.stop_database();
                world.phase_2(wave).await;
                let refused = missed_call_textback::database::connect_url(&world.app.db_url())
                    .await
                    .is_err();
                assert!(refused, "the database was to be down");
                down += wave.len() as u64;
                world.app.start_database().await;
            }
            Moment::Poll => {
                world.phase_1(wave).await;
                world.lose_callbacks(wave).await;
                let missed = wave.iter().filter(|t| t.missed()).count();
                let twilio = world.app.twilio.clone();
                twilio.set_latency(Duration::from_millis(40), Duration::from_millis(40));
                let sends_before = sends(&twilio);
                let poll = spawn_poll(&world.app);
                let deadline = Instant::now() + Duration::from_secs(30);
                while sends(&twilio) < sends_before + missed.div_ceil(3)
                    && !poll.is_finished()
                    && Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                world.app.stop_database();
                // Cut off: the run failed, or counted errors where its database went away.
                let summary = match poll.await {
                    Ok(Ok(reply)) if reply.status() == 200 => reply.json().await.ok(),
                    _ => None,
                };
                let errors = summary
                    .as_ref()
                    .map_or(1, |s: &serde_json::Value| s["errors"].as_u64().unwrap_or(1));
                down += u64::from(errors > 0);
                twilio.set_latency(Duration::ZERO, Duration::ZERO);
                world.app.start_database().await;
            }
        }
        world.settle().await;
    }
    let (name, faults) = match moment {
        Moment::Phase1 => (
            "PostgreSQL stopped during Phase 1, restarted",
            format!("{down} calls its Phase 1s (answered while it was down) never recorded"),
        ),
        Moment::Phase2 => (
            "PostgreSQL stopped during Phase 2, restarted",
            format!("{down} Phase 2s answered while it was down (a connection refused after)"),
        ),
        Moment::Poll => (
            "PostgreSQL stopped during a poll, restarted",
            format!("{down} polls cut off mid-run (failed or counted errors)"),
        ),
    };
    world.check(name, &trials, down, faults).await
}

/// How many of `trials` the database has no row for.
async fn unrecorded(world: &World, trials: &[Trial]) -> u64 {
    let sids: Vec<&str> = trials.iter().map(|t| t.sid.as_str()).collect();
    let recorded: i64 = world
        .app
        .db
        .query_one(
            "SELECT count(*) FROM active_calls WHERE call_sid = ANY($1)",
            &[&sids],
        )
        .await
        .unwrap()
        .get(0);
    sids.len() as u64 - recorded as u64
}

/// Message sends the double has received.
fn sends(twilio: &TwilioDouble) -> usize {
    twilio
        .requests()
        .iter()
        .filter(|r| r.is_message_send())
        .count()
}

/// A poll request that may never be answered (its worker may die or lose its database first).
fn spawn_poll(app: &TestApp) -> tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>> {
    let request = app
        .http
        .get(format!("{}/api/cron/check-missed-calls", app.address))
        .bearer_auth(CRON_SECRET)
        .timeout(Duration::from_secs(60));
    tokio::spawn(request.send())
}

/// The database cancels any statement after one second; in thirty calls a wave, half the rows
/// are locked by the harness while their Phase 2s arrive, so the decisions about them wait on the
/// lock and are cancelled mid-statement. The lock goes, and the poll finishes.
pub async fn statement_timeout(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let url = world.app.db_url();
    let name = url.rsplit('/').next().unwrap().to_string();
    world
        .app
        .db
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET statement_timeout = '1s'"
        ))
        .await
        .unwrap();
    let locker = missed_call_textback::database::connect_url(&url)
        .await
        .unwrap();
    locker
        .batch_execute("SET statement_timeout = 0")
        .await
        .unwrap();
    let mut trials = world.trials(count, 75, 0);
    let timeouts = |world: &World| world.app.worker_log().matches("statement timeout").count();
    for wave in trials.chunks_mut(30) {
        world.phase_1(wave).await;
        let locked: Vec<String> = wave
            .iter()
            .filter(|_| world.dice.chance(50))
            .map(|t| t.sid.clone())
            .collect();
        locker.batch_execute("BEGIN").await.unwrap();
        locker
            .execute(
                "SELECT 1 FROM active_calls WHERE call_sid = ANY($1) FOR UPDATE",
                &[&locked],
            )
            .await
            .unwrap();
        let before = timeouts(&world);
        world.phase_2(wave).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while timeouts(&world) < before + locked.len() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        locker.batch_execute("COMMIT").await.unwrap();
        world.settle().await;
    }
    let hit = timeouts(&world) as u64;
    world
        .check(
            "statement timeout mid-decision (rows locked, 1 s timeout)",
            &trials,
            hit,
            format!("{hit} statements cancelled by the timeout"),
        )
        .await
}

/// Forty calls a wave whose texts stall at Twilio (half of them created before the stall), sent
/// by Phase 2 or, in half the waves, by a poll (five at a time); once they are in flight workerd
/// is killed, then started again on its port, and the poll finishes.
pub async fn worker_killed(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let mut trials = world.trials(count, 75, 0);
    let (mut kills, mut in_flight) = (0u64, 0u64);
    for wave in trials.chunks_mut(40) {
        for trial in wave.iter().filter(|t| t.missed()) {
            let stall = world
                .dice
                .pick(&[MessageScript::Stall, MessageScript::AcceptThenStall]);
            world.app.twilio.script_message(&trial.caller, stall);
        }
        world.phase_1(wave).await;
        let missed = wave.iter().filter(|t| t.missed()).count();
        let twilio = world.app.twilio.clone();
        let sends_before = sends(&twilio);
        let (poll, target) = if world.dice.chance(50) {
            world.lose_callbacks(wave).await;
            (Some(spawn_poll(&world.app)), missed.min(5))
        } else {
            world.phase_2(wave).await;
            (None, missed)
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while (sends(&twilio) < sends_before + target || twilio.requests_in_flight().len() < target)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        in_flight += twilio.requests_in_flight().len() as u64;
        world.app.kill_worker();
        kills += 1;
        // A poll's later sends never met their stalls: the restarted worker finds Twilio well.
        twilio.forget_message_scripts();
        if let Some(poll) = poll {
            let _ = poll.await;
        }
        world.app.restart_worker().await;
        world.settle().await;
    }
    world
        .check(
            "workerd killed with texts in flight, restarted",
            &trials,
            in_flight,
            format!("{kills} kills with {in_flight} requests in flight"),
        )
        .await
}
