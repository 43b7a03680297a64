//! The race-and-fault suite (`make faults`, and a small run inside `make test`): calls played
//! through workerd with a real PostgreSQL and the Twilio double while faults are injected, then
//! every call checked against the promise from the double's own record of the messages it
//! created and the call's scripted fate: **texted exactly once if missed, never if answered or
//! unknown to Twilio**. One table row per scenario: trials, missed, the others, texted once, lost,
//! doubled, wrongly texted, p50/p99 from the call's end to its text, and the faults actually hit
//! (so a scenario that injected nothing fails). Exits non-zero on any lost, doubled or wrongly
//! texted call. Time passes by moving the database's timestamps, never by sleeping.
//!
//! `cargo bench --bench faults` (`make faults`) is the full run: `TRIALS` per scenario (1,000),
//! `RACING_TRIALS` for the racing ones (10,000), one scenario at a time (`PARALLEL`). Run by
//! `cargo test` (README's test command) it is the small run: 200 trials each, four scenarios at
//! once, a libtest-style result line, and a test name filter picks scenarios as it picks tests.
//! `SEED=` replays a run; `SCENARIOS=poll,kill` runs the scenarios whose names contain those words.
mod harness;
mod outages;
mod signals;
mod twilio;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use harness::Row;
use outages::Moment;
use std::time::Instant;

/// A scenario: a short name for SCENARIOS=, whether it races (more trials in a full run), and
/// what plays it, given the seed and the number of trials.
struct Scenario {
    name: &'static str,
    racing: bool,
    run: fn(u64, usize) -> BoxFuture<'static, Row>,
}

const SCENARIOS: [Scenario; 9] = [
    Scenario {
        name: "racing",
        racing: true,
        run: |seed, n| signals::racing_signals(seed, n).boxed(),
    },
    Scenario {
        name: "ticks",
        racing: true,
        run: |seed, n| signals::cron_ticks(seed, n).boxed(),
    },
    Scenario {
        name: "messages",
        racing: false,
        run: |seed, n| twilio::message_faults(seed, n).boxed(),
    },
    Scenario {
        name: "calls",
        racing: false,
        run: |seed, n| twilio::call_faults(seed, n).boxed(),
    },
    Scenario {
        name: "db-phase1",
        racing: false,
        run: |seed, n| outages::database_stopped(seed, n, Moment::Phase1).boxed(),
    },
    Scenario {
        name: "db-phase2",
        racing: false,
        run: |seed, n| outages::database_stopped(seed, n, Moment::Phase2).boxed(),
    },
    Scenario {
        name: "db-poll",
        racing: false,
        run: |seed, n| outages::database_stopped(seed, n, Moment::Poll).boxed(),
    },
    Scenario {
        name: "statement-timeout",
        racing: false,
        run: |seed, n| outages::statement_timeout(seed, n).boxed(),
    },
    Scenario {
        name: "kill",
        racing: false,
        run: |seed, n| outages::worker_killed(seed, n).boxed(),
    },
];

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{name}: a number")))
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    // cargo bench passes --bench; cargo test runs this binary without it.
    let full = std::env::args().any(|arg| arg == "--bench");
    let trials = number("TRIALS", if full { 1000 } else { 200 });
    let racing_trials = number("RACING_TRIALS", if full { trials * 10 } else { trials });
    let parallel = number("PARALLEL", if full { 1 } else { 4 }).max(1);
    let mut chosen: Vec<String> = std::env::var("SCENARIOS")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if !full {
        chosen.extend(test_filters());
    }
    let seed = harness::seed();
    println!(
        "\nRace-and-fault suite ({} run), seed {seed}: {trials} trials a scenario, {racing_trials} racing, {parallel} at once",
        if full { "full" } else { "small" }
    );
    let started = Instant::now();
    let runs = SCENARIOS
        .iter()
        .enumerate()
        .filter(|(_, s)| chosen.is_empty() || chosen.iter().any(|c| s.name.contains(c.as_str())))
        .map(|(i, scenario)| {
            let count = if scenario.racing {
                racing_trials
            } else {
                trials
            };
            // Each scenario its own dice, so one can be replayed alone with the same seed.
            let seed = seed.wrapping_add(i as u64 * 0x9e37_79b9);
            async move {
                let began = Instant::now();
                // A panic (a helper's assertion) fails its own row, not the others'.
                let mut row = tokio::spawn((scenario.run)(seed, count))
                    .await
                    .unwrap_or_else(|panic| Row::panicked(scenario.name, count, panic));
                row.wall = began.elapsed();
                println!("{}", row.markdown());
                row
            }
        });
    let rows: Vec<Row> = futures::stream::iter(runs)
        .buffered(parallel)
        .collect()
        .await;
    println!(
        "\n{:.0} s on this machine\n{}",
        started.elapsed().as_secs_f64(),
        Row::HEADER
    );
    for row in &rows {
        println!("{}", row.markdown());
    }
    let failed = rows.iter().filter(|row| row.failed()).count();
    for row in rows.iter().filter(|row| row.failed()) {
        eprintln!(
            "\n{} FAILED (seed {seed}):\n{}",
            row.scenario,
            row.failures()
        );
    }
    if !full {
        // As libtest words it, so README's test command counts the scenarios with the tests.
        let verdict = if failed == 0 { "ok" } else { "FAILED" };
        println!(
            "\ntest result: {verdict}. {} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out",
            rows.len() - failed
        );
    }
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The test name filters `cargo test` passed on (its own flags and their values left out): a
/// filter that names no scenario runs none, as it would run no test.
fn test_filters() -> Vec<String> {
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--test-threads" | "--skip" | "--format" | "--color" | "-Z" => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            filter => filters.push(filter.to_string()),
        }
    }
    filters
}
