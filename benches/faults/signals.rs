//! The racing scenarios: every signal about a call at once, and the cron's ticks overlapping or
//! skipped. Nothing fails here; the races are the fault, and what the claim and the leases settled
//! is counted.
use crate::harness::{Row, Trial, World};
use std::time::{Duration, SystemTime};
use test_support::*;

/// Ten calls at a time, each with five signals delivered at once in a random order, 0–20 ms
/// apart: Phase 2, Twilio's retry of it, the forwarded leg's status callback and two polls. A
/// tenth of the missed callers texted STOP first.
pub async fn racing_signals(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let mut trials = world.trials(count, 70, 0);
    for wave in trials.chunks_mut(10) {
        world.opt_out(wave, 10).await;
        world.phase_1(wave).await;
        // Past its dial timeout and grace: the polls may take it too.
        world.lose_callbacks(wave).await;
        let orders: Vec<Vec<(u8, u64)>> = wave
            .iter()
            .map(|_| {
                let mut order: Vec<(u8, u64)> =
                    (0..5u8).map(|s| (s, world.dice.below(21))).collect();
                world.dice.shuffle(&mut order);
                order
            })
            .collect();
        let now = SystemTime::now();
        for trial in wave.iter_mut() {
            trial.ended = Some(now);
        }
        let app = &world.app;
        futures::future::join_all(
            wave.iter()
                .zip(orders)
                .map(|(trial, order)| race(app, trial, order)),
        )
        .await;
    }
    world.settle().await;
    let prevented: i64 = world
        .app
        .db
        .query_one(
            "SELECT COALESCE(sum(dedup_prevented), 0)::int8 FROM active_calls",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    world
        .check(
            "racing signals (Phase 2 ×2, leg status, 2 polls)",
            &trials,
            prevented as u64,
            format!("{prevented} duplicates the claim prevented"),
        )
        .await
}

/// The signals about one call, in the order the dice chose, each after its delay.
async fn race(app: &TestApp, trial: &Trial, order: Vec<(u8, u64)>) {
    let status = trial.leg_status();
    let leg = app.forward_leg(&trial.sid, &trial.caller);
    let signals = order.into_iter().map(|(signal, delay)| {
        let leg = &leg;
        async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            match signal {
                0 | 1 => {
                    let reply = app
                        .dial_result_from(&trial.sid, &trial.caller, status)
                        .await;
                    assert_eq!(reply.status, 200, "{}", reply.body);
                }
                2 => {
                    let reply = app.dial_status(leg, status, false).await;
                    assert!(reply.status < 300, "{}", reply.body);
                }
                _ => {
                    app.run_poll().await;
                }
            }
        }
    });
    futures::future::join_all(signals).await;
}

/// Calls whose callbacks are lost, twenty-five at a time, left to the cron: most waves get two or
/// three ticks at once (the HTTP route and the scheduled event, a few ms apart), one in five gets
/// none, and its calls wait a minute longer for the next wave's ticks. A tenth of the missed
/// callers texted STOP first. The overlaps are counted from the runs the worker recorded.
pub async fn cron_ticks(seed: u64, count: usize) -> Row {
    let mut world = World::start(seed, Database::Shared).await;
    let mut trials = world.trials(count, 70, 0);
    let mut skipped = 0u64;
    for wave in trials.chunks_mut(25) {
        world.opt_out(wave, 10).await;
        world.phase_1(wave).await;
        world.lose_callbacks(wave).await;
        if world.dice.chance(20) {
            skipped += 1;
            // The minute passes without a tick.
            world.app.pass_time(60).await;
            continue;
        }
        let plan: Vec<(bool, u64)> = (0..2 + world.dice.below(2))
            .map(|_| (world.dice.chance(50), world.dice.below(31)))
            .collect();
        let app = &world.app;
        futures::future::join_all(plan.into_iter().map(|(scheduled, delay)| async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let reply = if scheduled {
                app.fire_cron("*/1 * * * *").await
            } else {
                app.request_poll().await
            };
            assert_eq!(reply.status, 200, "{}", reply.body);
        }))
        .await;
    }
    // The runs as the worker recorded them, before settling adds its own (one at a time): how many
    // came from each trigger, and how many ran while another did.
    let runs = world
        .app
        .db
        .query_one(
            "SELECT count(*) FILTER (WHERE trigger = 'cron'),
                    count(*) FILTER (WHERE trigger = 'endpoint'),
                    count(*) FILTER (WHERE EXISTS (
                        SELECT 1 FROM poll_runs b WHERE b.id <> a.id
                        AND b.started_at < a.finished_at AND a.started_at < b.finished_at))
             FROM poll_runs a",
            &[],
        )
        .await
        .unwrap();
    let (cron, endpoint, overlapped): (i64, i64, i64) = (runs.get(0), runs.get(1), runs.get(2));
    world.settle().await;
    world
        .check(
            "cron ticks overlapping (2–3 at once) and skipped",
            &trials,
            overlapped as u64,
            format!(
                "{} runs ({cron} by the cron trigger), {overlapped} overlapped another; {skipped} ticks skipped",
                cron + endpoint
            ),
        )
        .await
}
