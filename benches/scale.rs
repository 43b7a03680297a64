//! The fallback at scale: one poll run through workerd against a Twilio double that answers every
//! request after 150 ms ± 50 ms (Twilio's usual range), with the Paid plan's budget, working the due
//! calls one at a time (`POLL_CONCURRENCY=1`, how the poll worked before) and five at a time (the
//! default). Prints calls drained per minute, Twilio requests per call and database round trips per
//! run; asserts nothing about time. `make bench BENCH=scale` (`SCALE_CALLS=100,1000` to change).
use std::time::{Duration, Instant};
use test_support::*;

async fn measure(app: &TestApp, concurrency: &str, due: u32) {
    app.seed_due_calls(due).await;
    let round_trips_before = app.db_round_trips().await;
    let requests_before = app.twilio.requests().len();
    let started = Instant::now();
    let summary = app.run_poll().await;
    let wall = started.elapsed();
    let requests = app.twilio.requests().len() - requests_before;
    let db_round_trips = app.db_round_trips().await - round_trips_before - 2;
    let checked = f64::from(summary.checked.max(1));
    println!(
        "concurrency={concurrency} due={due:<5} checked={:<5} texted={:<5} wall={:>7.1} s  \
         drained={:>6.0} calls/min  twilio_requests/call={:.2}  db_round_trips={db_round_trips} ({:.1}/call)",
        summary.checked,
        summary.texted,
        wall.as_secs_f64(),
        checked / wall.as_secs_f64() * 60.0,
        requests as f64 / checked,
        db_round_trips as f64 / checked,
    );
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u32> = std::env::var("SCALE_CALLS")
        .unwrap_or_else(|_| "100,1000".into())
        .split(',')
        .map(|n| n.trim().parse().expect("SCALE_CALLS: numbers"))
        .collect();
    println!(
        "\nOne poll run, Twilio double at 150 ms ± 50 ms per request, POLL_TWILIO_BUDGET=10000 \
         (every call's child leg is no-answer: one lookup and one text each):"
    );
    for concurrency in ["1", "5"] {
        let app = spawn_app_with(Options {
            vars: vec![
                ("POLL_TWILIO_BUDGET", Some("10000".into())),
                ("POLL_CONCURRENCY", Some(concurrency.into())),
            ],
            ..Options::default()
        })
        .await;
        // Every call texted: no cooldown, and a daily limit above the bench's calls.
        let number = serde_json::json!({
            "forward_to": FORWARD_TO,
            "business_name": "Joe's Plumbing",
            "cooldown_hours": 0,
            "daily_text_limit": 100_000,
        });
        assert_eq!(
            app.configure_number(TWILIO_NUMBER, number).await.status,
            201
        );
        app.twilio
            .set_latency(Duration::from_millis(150), Duration::from_millis(50));
        for &due in &sizes {
            // One at a time, 1,000 calls would take five minutes: the smallest size shows the rate.
            if concurrency == "1" && due > sizes[0] {
                continue;
            }
            measure(&app, concurrency, due).await;
        }
    }
}
