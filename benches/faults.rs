//! The race-and-fault suite's first scenario (`make faults`, `TRIALS=` to scale): calls played
//! through workerd with the real PostgreSQL and the Twilio double, every signal about a call
//! delivered at once in a random order — Phase 2, Twilio's retry of it, the forwarded leg's status
//! callback and two overlapping polls — then every call checked against the promise, from the
//! double's own record of messages and the call's scripted fate: texted exactly once if missed,
//! never if answered. Prints a row: trials, missed, answered, texted once, lost, doubled, wrongly
//! texted, p50/p99 from the signals to the text, and the races the claim actually settled (the
//! duplicates it prevented), so a run that raced nothing cannot pass unseen. Exits non-zero on any
//! lost, doubled or wrongly texted call. Time passes by moving the database's timestamps.
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use test_support::*;

/// A small xorshift generator: the order of each trial's signals, and its fate. The seed is
/// printed, and `SEED=` replays a run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One call of a run: what Twilio will say happened, and what the harness saw.
struct Trial {
    sid: String,
    caller: String,
    missed: bool,
    signalled_at: Option<Instant>,
}

/// The signals about one call, in the order the dice chose, each after a delay of 0–20 ms so the
/// orders interleave for real.
async fn race(app: &TestApp, trial: &Trial, order: Vec<(u8, u64)>) {
    let status = if trial.missed {
        "no-answer"
    } else {
        "completed"
    };
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

#[tokio::main]
async fn main() {
    let trials: u32 = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1000);
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut dice = Dice(seed);
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("10000".into()))],
        ..Options::default()
    })
    .await;
    // Every missed call textable: a day's limit above the run's calls (each has a caller of its own,
    // so the cooldown never applies).
    let settings = serde_json::json!({ "daily_text_limit": 100_000 });
    let reply = app.configure_default_number_with(settings).await;
    assert_eq!(reply.status, 201, "{}", reply.body);

    let stamp = call_sid(0);
    let mut calls: Vec<Trial> = (0..trials)
        .map(|n| Trial {
            sid: format!("{}{n:08x}", &stamp[..26]),
            caller: format!("+1415{n:07}"),
            missed: dice.below(10) < 7,
            signalled_at: None,
        })
        .collect();
    let started = Instant::now();
    // Ten calls at a time, each with its five signals at once.
    for wave in calls.chunks_mut(10) {
        for trial in wave.iter() {
            let status = if trial.missed {
                "no-answer"
            } else {
                "completed"
            };
            app.twilio.script_call(&trial.sid, "completed", &[status]);
            let reply = app.incoming_call_from(&trial.sid, &trial.caller).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            // Past its dial timeout and grace: the polls may take it too.
            app.age_call(&trial.sid, DUE).await;
        }
        let orders: Vec<Vec<(u8, u64)>> = wave
            .iter()
            .map(|_| {
                let mut order: Vec<(u8, u64)> = (0..5u8).map(|s| (s, dice.below(21))).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, dice.below(i as u64 + 1) as usize);
                }
                order
            })
            .collect();
        let now = Instant::now();
        for trial in wave.iter_mut() {
            trial.signalled_at = Some(now);
        }
        futures::future::join_all(
            wave.iter()
                .zip(orders)
                .map(|(trial, order)| race(&app, trial, order)),
        )
        .await;
    }
    // Whatever a race left owed or in doubt, the next ticks finish: time moves in the database.
    for _ in 0..3 {
        app.db
            .execute(
                "UPDATE active_calls SET next_attempt_at = now() - interval '1 second',
                     next_lookup_at = NULL, lease_until = NULL,
                     claimed_at = claimed_at - interval '10 minutes'
                 WHERE NOT processed",
                &[],
            )
            .await
            .unwrap();
        app.run_poll().await;
    }
    let wall = started.elapsed();

    let (mut texted_once, mut lost, mut doubled, mut wrong) = (0, 0, 0, 0);
    let mut latencies = Vec::new();
    for trial in &calls {
        let texts = app.twilio.messages_to(&trial.caller);
        match (trial.missed, texts.len()) {
            (true, 1) => {
                texted_once += 1;
                if let (Some(at), Some(from)) = (texts[0].received_at, trial.signalled_at) {
                    latencies.push(at.saturating_duration_since(from));
                }
            }
            (true, 0) => lost += 1,
            (true, _) => doubled += 1,
            (false, 0) => {}
            (false, _) => wrong += 1,
        }
    }
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let prevented: i64 = app
        .db
        .query_one(
            "SELECT COALESCE(sum(dedup_prevented), 0)::int8 FROM active_calls",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let missed = calls.iter().filter(|t| t.missed).count();
    println!(
        "\nRace-and-fault suite, seed {seed}, {:.0} s on this machine",
        wall.as_secs_f64()
    );
    println!(
        "| scenario | trials | missed | answered | texted once | lost | doubled | wrongly texted | signals → text p50 | p99 | faults hit |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| racing signals (Phase 2 ×2, leg status, 2 polls) | {trials} | {missed} | {} | {texted_once} | {lost} | {doubled} | {wrong} | {:.0} ms | {:.0} ms | {prevented} duplicates prevented |",
        trials as usize - missed,
        at(0.5),
        at(0.99)
    );
    if lost + doubled + wrong > 0 {
        std::process::exit(1);
    }
}
