//! What the poll costs in a realistic mix (issue 10's figures): 1,000 calls arriving over 20
//! minutes, 70 % answered and lasting 1–20 minutes, 25 % missed with their action request, 5 % missed
//! with it lost. A tick a minute, time moved in the database; prints Twilio requests made by the
//! poll per answered call, per missed call and per lost callback, and how long (simulated) a lost
//! callback waits for its text. Prints figures; asserts nothing about time.
//! `make bench BENCH=mixed_poll`. It uses only the harness the foundation commit already had, so
//! "before" is this file run on that commit.
use std::collections::HashMap;
use test_support::*;

const CALLS: u32 = 1000;
const PER_MINUTE: u32 = 50;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Answered { minutes: u32 },
    Missed,
    Lost,
}

/// Deterministic: every 20th call's action request is lost, 5 in 20 are missed, the rest answered
/// for 1 to 20 minutes.
fn kind(n: u32) -> Kind {
    match n % 20 {
        0 => Kind::Lost,
        1..=5 => Kind::Missed,
        _ => Kind::Answered {
            minutes: 1 + (n * 7) % 20,
        },
    }
}

fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Answered { .. } => "answered",
        Kind::Missed => "missed",
        Kind::Lost => "lost callback",
    }
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    // call_sid() is unique per call of it: each call's SID is drawn once.
    let sids: Vec<String> = (0..CALLS).map(call_sid).collect();
    let last_minute = CALLS / PER_MINUTE + 25;
    let mut ticks = 0;
    for minute in 0..last_minute {
        for n in (minute * PER_MINUTE)..((minute + 1) * PER_MINUTE).min(CALLS) {
            let (sid, from) = (&sids[n as usize], caller(n));
            app.incoming_call_from(sid, &from).await;
            match kind(n) {
                Kind::Answered { .. } => {
                    app.twilio.script_call(sid, "in-progress", &["in-progress"])
                }
                Kind::Missed => {
                    app.twilio.script_call(sid, "completed", &["no-answer"]);
                    app.dial_result_from(sid, &from, "no-answer").await;
                }
                Kind::Lost => app.twilio.script_call(sid, "completed", &["no-answer"]),
            }
        }
        for n in 0..CALLS.min(minute * PER_MINUTE) {
            if let Kind::Answered { minutes } = kind(n) {
                if n / PER_MINUTE + minutes == minute {
                    let sid = &sids[n as usize];
                    app.twilio.script_call(sid, "completed", &["completed"]);
                    app.dial_result_from(sid, &caller(n), "completed").await;
                }
            }
        }
        app.run_poll().await;
        ticks += 1;
        app.pass_time(60).await;
    }

    let mut requests: HashMap<&str, (usize, u32)> = HashMap::new();
    for n in 0..CALLS {
        let entry = requests.entry(label(kind(n))).or_default();
        entry.0 += app.call_lookups(&sids[n as usize]);
        entry.1 += 1;
    }
    let lost: Vec<String> = (0..CALLS)
        .filter(|n| kind(*n) == Kind::Lost)
        .map(|n| sids[n as usize].clone())
        .collect();
    let polled_texts = app
        .db
        .query_one(
            "SELECT count(*) FILTER (WHERE processed_by = 'poll' AND outcome = 'texted'),
                    avg(extract(epoch FROM sms_sent_at - received_at))::float8,
                    max(extract(epoch FROM sms_sent_at - received_at))::float8
             FROM active_calls WHERE call_sid = ANY($1)",
            &[&lost],
        )
        .await
        .unwrap();
    let (texted, mean, max): (i64, Option<f64>, Option<f64>) = (
        polled_texts.get(0),
        polled_texts.get(1),
        polled_texts.get(2),
    );
    println!(
        "\n{CALLS} calls over {} minutes, {ticks} ticks of the poll (default budget 45):",
        CALLS / PER_MINUTE
    );
    for kind in ["answered", "missed", "lost callback"] {
        let (lookups, calls) = requests.get(kind).copied().unwrap_or_default();
        let texts = if kind == "lost callback" { texted } else { 0 };
        println!(
            "  {kind:<14} {calls:>4} calls: {lookups:>5} call lookups by the poll (+{texts} texts) = {:.2} requests per call",
            (lookups as f64 + texts as f64) / f64::from(calls.max(1))
        );
    }
    println!(
        "  lost callbacks texted by the poll: {texted} of {}; simulated wait from arrival to text: mean {:.0} s, max {:.0} s",
        lost.len(),
        mean.unwrap_or(f64::NAN),
        max.unwrap_or(f64::NAN)
    );
    let reconcile_pages = app
        .twilio
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/Calls.json") && r.query_value("ParentCallSid").is_none())
        .count();
    println!("  Calls list pages (reconciliation, every 5 minutes): {reconcile_pages}");
}
