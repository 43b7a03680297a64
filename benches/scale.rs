//! The fallback at scale: one poll run through workerd against a Twilio double that answers every
//! request after 150 ms ± 50 ms (Twilio's usual range), with the Paid plan's budget, asking Twilio
//! one call at a time (`POLL_CONCURRENCY=1`) and five at a time (the default). Prints calls drained
//! per minute, Twilio requests per call and database round trips per run (a tick); asserts nothing
//! about time. Then the CPU time of each webhook and of a poll of 100 calls,
//! from the workerd processes' CPU time over many requests (an upper bound: workerd's own work is
//! in it), against the Free plan's 10 ms per invocation. `make bench BENCH=scale`
//! (`SCALE_CALLS=100,1000` to change).
use std::time::Duration;
use test_support::*;

async fn measure(app: &TestApp, concurrency: &str, due: u32) {
    let MeasuredPoll {
        summary,
        wall,
        twilio_requests: requests,
        db_round_trips,
    } = app.measured_poll(due).await;
    let checked = f64::from(summary.checked.max(1));
    println!(
        "concurrency={concurrency} due={due:<5} checked={:<5} texted={:<5} wall={:>7.1} s  \
         drained={:>6.0} calls/min  twilio_requests/call={:.2}  db_round_trips={db_round_trips} ({:.3}/call)",
        summary.checked,
        summary.texted,
        wall.as_secs_f64(),
        checked / wall.as_secs_f64() * 60.0,
        requests as f64 / checked,
        db_round_trips as f64 / checked,
    );
}

/// The default number texting every call: no cooldown, and a daily limit above the bench's calls.
async fn texting_every_call(app: &TestApp) {
    let settings = serde_json::json!({ "cooldown_hours": 0, "daily_text_limit": 100_000 });
    let reply = app.configure_default_number_with(settings).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

/// CPU ms per request of `requests` sent by `send`.
async fn cpu_per_request<F, Fut>(app: &TestApp, requests: u32, send: F) -> f64
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // Let the work after earlier answers finish, so it is not counted here.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = app.workerd_cpu_ms();
    for n in 0..requests {
        send(n).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    (app.workerd_cpu_ms() - before) / f64::from(requests)
}

async fn measure_cpu() {
    let app = spawn_app().await;
    texting_every_call(&app).await;
    let requests = 200;
    let floor = cpu_per_request(&app, requests, |_| async {
        app.get("/no-such-route").await;
    })
    .await;
    let sids: Vec<String> = (0..requests).map(call_sid).collect();
    let phase_1 = cpu_per_request(&app, requests, |n| {
        let sid = sids[n as usize].clone();
        let app = &app;
        async move {
            app.incoming_call(&sid).await;
        }
    })
    .await;
    let phase_2 = cpu_per_request(&app, requests, |n| {
        let sid = sids[n as usize].clone();
        let app = &app;
        async move {
            app.dial_result(&sid, "no-answer").await;
        }
    })
    .await;
    app.seed_due_calls(100).await;
    let poll = cpu_per_request(&app, 1, |_| async {
        app.run_poll().await;
    })
    .await;
    println!(
        "\nCPU time in workerd (an upper bound), {requests} requests each, the Free plan allows 10 ms \
         per invocation:\n  floor, an unknown route (404, no database): {floor:.2} ms/request\n  Phase 1 (record, <Dial>): {phase_1:.2} ms/request\n  Phase 2 (answer, then \
         claim, rules, reserve, text, record): {phase_2:.2} ms/request\n  one poll run of 100 due \
         calls (one listing, a text each): {poll:.1} ms ({:.2} ms/call)",
        poll / 100.0
    );
}

#[tokio::main]
async fn main() {
    let sizes = sizes_from_env("SCALE_CALLS", "100,1000");
    println!(
        "\nOne poll run, Twilio double at 150 ms ± 50 ms per request, POLL_TWILIO_BUDGET=10000 \
         (every call's child leg is no-answer: each is texted):"
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
        texting_every_call(&app).await;
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
    measure_cpu().await;
}
