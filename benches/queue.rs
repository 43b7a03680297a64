//! The fan-out on the CHECKS queue at scale: N calls come in (Phase 1 through workerd, which queues
//! each call's check), none gets its Phase 2, and the consumer Miniflare runs texts them, against a
//! Twilio double that answers every request after 150 ms ± 50 ms (Twilio's usual range). Prints,
//! per N, the time from a call's being due (Phase 1 sent + dial timeout + grace, when its message's
//! delay ends) to the double's receiving its text, p50/p99/max, and the calls texted per minute; no
//! cron runs. Asserts nothing about time. Miniflare runs the consumer's batches in one process and
//! does not scale consumers out as Cloudflare does (up to 250 invocations at once), so the drain
//! rate here is one consumer's. `make bench BENCH=queue` (`QUEUE_CALLS=100,1000,10000` to change).
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use test_support::*;

/// Phase 1 requests in flight while the calls come in.
const SENDERS: usize = 16;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn measure(calls: u32) {
    let app = spawn_app_with_queue().await;
    app.configure_number_with_short_checks().await;
    app.twilio
        .set_latency(Duration::from_millis(150), Duration::from_millis(50));
    let delay = Duration::from_secs(u64::from(QUEUE_DIAL_TIMEOUT_SECS + QUEUE_GRACE_SECS));
    let callers: Vec<(String, String)> = (0..calls)
        .map(|n| (call_sid(n), format!("+1415{n:07}")))
        .collect();
    for (sid, _) in &callers {
        app.twilio.script_call(sid, "completed", &["no-answer"]);
    }

    let started = Instant::now();
    let due: HashMap<String, Instant> = stream::iter(&callers)
        .map(|(sid, from)| {
            let app = &app;
            async move {
                let sent = Instant::now();
                let reply = app.incoming_call_from(sid, from).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
                (from.clone(), sent + delay)
            }
        })
        .buffer_unordered(SENDERS)
        .collect()
        .await;
    let arrival = started.elapsed();

    // Generous: a consumer drains about a thousand calls a minute against this double.
    let deadline = Instant::now() + delay + Duration::from_secs(60 + u64::from(calls) / 5);
    while app.sms_requests().len() < calls as usize && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The last batch logs its end after its texts: let it.
    if let Some((sid, _)) = callers.last() {
        app.wait_for_checks(sid, 1).await;
    }
    let texts = app.sms_requests();
    let mut waits: Vec<f64> = texts
        .iter()
        .filter_map(|text| {
            let due = due.get(text.form_value("To")?)?;
            let at = text.received_at?;
            Some(at.saturating_duration_since(*due).as_secs_f64())
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    let first_due = due.values().min().copied().unwrap_or(started);
    let last_text = texts
        .iter()
        .filter_map(|t| t.received_at)
        .max()
        .unwrap_or(first_due);
    let span = last_text.saturating_duration_since(first_due).as_secs_f64();
    if waits.is_empty() {
        println!("calls={calls:<6} no text arrived:\n{}", app.worker_log());
        return;
    }
    println!(
        "calls={calls:<6} texted={:<6} arrival={:>6.1} s  due->text p50={:>6.2} s p99={:>6.2} s \
         max={:>6.2} s  texted={:>6.0} calls/min  consumer batches={}  twilio_requests/call={:.2}",
        waits.len(),
        arrival.as_secs_f64(),
        percentile(&waits, 0.50),
        percentile(&waits, 0.99),
        waits[waits.len() - 1],
        waits.len() as f64 / span.max(0.001) * 60.0,
        app.check_batches_done(),
        app.twilio.requests().len() as f64 / f64::from(calls),
    );
}

#[tokio::main]
async fn main() {
    let sizes = sizes_from_env("QUEUE_CALLS", "100,1000");
    println!(
        "\nThe CHECKS queue, Twilio double at 150 ms ± 50 ms per request, each call missed with its \
         Phase 2 lost (one lookup and one text), checks due {} s after Phase 1 (dial timeout {} s + \
         grace {} s), batches of up to 10 after at most 1 s, no cron run:",
        QUEUE_DIAL_TIMEOUT_SECS + QUEUE_GRACE_SECS,
        QUEUE_DIAL_TIMEOUT_SECS,
        QUEUE_GRACE_SECS
    );
    for calls in sizes {
        measure(calls).await;
    }
}
