//! Fast-path latency through workerd: from sending the Phase 2 callback to the Twilio double
//! receiving the Messages POST, the TwiML response times, a trivial request as the floor, and a
//! lost action request: from the forwarded leg's status callback to the Messages POST.
//! Prints figures; asserts nothing about time. `make bench BENCH=fast_path` (BENCH_CALLS=500).
use std::time::{Duration, Instant};
use test_support::*;

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<44} n={:<5} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        ms(at(0.50)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

#[tokio::main]
async fn main() {
    let calls: u32 = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let app = spawn_app().await;
    app.configure_default_number().await;
    // Warm the isolate and the connection paths before measuring.
    for n in 0..20 {
        let sid = call_sid(1_000_000 + n);
        app.incoming_call_from(&sid, "+14150000000").await;
    }

    let mut floor = Vec::new();
    for _ in 0..calls {
        floor.push(app.get("/bench/floor").await.elapsed);
    }
    let (mut phase_one, mut phase_two, mut to_sms) = (Vec::new(), Vec::new(), Vec::new());
    let mut status_to_sms = Vec::new();
    let started = Instant::now();
    for n in 0..calls {
        let sid = call_sid(n);
        let from = format!("+1415{n:07}");
        phase_one.push(app.incoming_call_from(&sid, &from).await.elapsed);
        let sent = Instant::now();
        // Every fifth call's action request is lost: the status callback reports the forward.
        if n % 5 == 4 {
            let reply = app
                .dial_status(&app.forward_leg(&sid, &from), "no-answer", false)
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            status_to_sms.push(until_texted(&app, &from, sent, n).await);
        } else {
            let reply = app.dial_result_from(&sid, &from, "no-answer").await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            phase_two.push(reply.elapsed);
            to_sms.push(until_texted(&app, &from, sent, n).await);
        }
    }
    println!("\nFast path through workerd (wrangler dev, local Postgres, Twilio double), {calls} calls, one at a time:");
    report("floor: GET unknown route (404, no I/O)", floor);
    report("Phase 1 TwiML (record call + <Dial>)", phase_one);
    report("Phase 2 TwiML (answered before the SMS)", phase_two);
    report("Phase 2 sent -> double received SMS POST", to_sms);
    report(
        "lost action: status callback sent -> SMS POST",
        status_to_sms,
    );
    println!(
        "wall time for the {calls} calls: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// From `sent` until the double received the text to `from`.
async fn until_texted(app: &TestApp, from: &str, sent: Instant, n: u32) -> Duration {
    let deadline = sent + Duration::from_secs(20);
    loop {
        if let Some(text) = app.twilio.messages_to(from).first() {
            return text.received_at.expect("recorded by the double") - sent;
        }
        assert!(Instant::now() < deadline, "no text for call {n}");
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}
