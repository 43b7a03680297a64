//! Cost of one poll run with 10, 100 and 1,000 due calls (Twilio requests, database statements,
//! wall time), and EXPLAIN ANALYZE of the due-calls claim on 1,000,000 rows of which 1,000 are
//! pending. Prints figures; asserts nothing about time. `make bench BENCH=poll`.
use missed_call_textback::store::poll as store;
use test_support::*;

async fn measure(app: &TestApp, due: u32, budget: &str) {
    let MeasuredPoll {
        summary,
        wall,
        twilio_requests: requests,
        db_round_trips,
    } = app.measured_poll(due).await;
    println!(
        "due={due:<5} budget={budget:<6} checked={:<5} texted={:<5} deferred={:<4} twilio_requests={requests:<5} db_round_trips={db_round_trips:<5} wall={:>8.1} ms  ({:.2} ms/call)",
        summary.checked,
        summary.texted,
        summary.deferred,
        wall.as_secs_f64() * 1000.0,
        wall.as_secs_f64() * 1000.0 / f64::from(summary.checked.max(1)),
    );
    assert_eq!(summary.twilio_requests as usize, requests);
}

#[tokio::main]
async fn main() {
    println!("\nOne poll run through workerd (local Postgres, Twilio double; every call's child leg is no-answer):");
    let unbounded = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("10000".into()))],
        ..Options::default()
    })
    .await;
    unbounded.configure_default_number().await;
    for due in [10, 100, 1000] {
        measure(&unbounded, due, "10000").await;
    }
    drop(unbounded);
    let free_plan = spawn_app().await;
    free_plan.configure_default_number().await;
    for due in [10, 100, 1000] {
        measure(&free_plan, due, "45").await;
    }

    println!(
        "\nEXPLAIN ANALYZE of the due-calls claim, 1,000,000 rows of which 1,000 are pending:"
    );
    let mut db = missed_call_textback::database::connect_url(&free_plan.db_url())
        .await
        .unwrap();
    db.batch_execute(
        "DELETE FROM active_calls;
         INSERT INTO active_calls (call_sid, from_number, to_number, received_at, processed, processed_at, outcome)
         SELECT 'CA' || lpad(to_hex(g), 32, '0'), '+14155550123', '+14155559000',
                now() - make_interval(secs => g), g > 1000, now() - make_interval(secs => g),
                CASE WHEN g > 1000 THEN 'texted' END
         FROM generate_series(1, 1000000) AS g;",
    )
    .await
    .unwrap();
    db.batch_execute("VACUUM ANALYZE active_calls")
        .await
        .unwrap();
    let plan = store::explain_lease_due(&mut db, 45, 20).await.unwrap();
    for line in &plan {
        println!("  {line}");
    }
    let uses_index = plan
        .iter()
        .any(|l| l.contains("active_calls_unprocessed_due"));
    println!("partial index active_calls_unprocessed_due used: {uses_index}");
}
