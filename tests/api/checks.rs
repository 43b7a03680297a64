//! The optional CHECKS queue: with the binding, Phase 1 queues each forwarded call's check, and the
//! consumer runs the poll's check when the call is due, with no cron run; without it, nothing is
//! queued and the cron poll does it all. Miniflare's queue delays are real time: each test's number
//! has the shortest dial timeout and the worker a 1 s grace, and the tests wait for the consumer
//! with a deadline.
use missed_call_textback::domain::Outcome;
use test_support::*;

/// Poll runs recorded: the cron's heartbeat. The consumer never writes one.
async fn poll_runs(app: &TestApp) -> i64 {
    app.db
        .query_one("SELECT count(*) FROM poll_runs", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_lost_callback_is_texted_by_the_consumer_without_a_cron_run() {
    let app = spawn_app_with_queue().await;
    app.configure_number_with_short_checks().await;
    let sid = call_sid(1);
    app.twilio.script_call(&sid, "completed", &["no-answer"]);
    assert_eq!(app.incoming_call(&sid).await.status, 200);
    app.assert_logged(&format!(
        "[Check Queue] Queued the check of {sid} in {} s",
        QUEUE_DIAL_TIMEOUT_SECS + QUEUE_GRACE_SECS
    ))
    .await;

    app.wait_for_checks(&sid, 1).await;
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(
        row.processed_by.as_deref(),
        Some("poll"),
        "the poll's check, run sooner"
    );
    assert_eq!(row.dial_call_status.as_deref(), Some("no-answer"));
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    assert_eq!(app.call_lookups(&sid), 1);
    app.assert_logged("[Check Missed Calls - FALLBACK] Missed call detected")
        .await;
    let log = app.worker_log();
    assert!(!log.contains(CALLER), "a phone number in the log:\n{log}");
}

#[tokio::test]
async fn an_answered_call_is_settled_by_the_consumer_without_a_text() {
    let app = spawn_app_with_queue().await;
    app.configure_number_with_short_checks().await;
    let sid = call_sid(1);
    app.twilio.script_call(&sid, "completed", &["completed"]);
    app.incoming_call(&sid).await;

    app.wait_for_checks(&sid, 1).await;
    let row = app.wait_for_outcome(&sid, Outcome::Answered).await;
    assert_eq!(row.processed_by.as_deref(), Some("poll"));
    assert!(app.sms_requests().is_empty());
    assert_eq!(poll_runs(&app).await, 0);
}

#[tokio::test]
async fn a_check_delivered_twice_texts_once() {
    let app = spawn_app_with_queue().await;
    app.configure_number_with_short_checks().await;
    let sid = call_sid(1);
    app.twilio.script_call(&sid, "completed", &["no-answer"]);
    // Twilio retried Phase 1: the call is recorded once, its check queued twice.
    assert_eq!(app.incoming_call(&sid).await.status, 200);
    assert_eq!(app.incoming_call(&sid).await.status, 200);

    app.wait_for_checks(&sid, 2).await;
    app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    assert_eq!(app.call_lookups(&sid), 1, "the second check leased nothing");
}

#[tokio::test]
async fn a_call_phase_2_settled_is_left_alone_by_the_consumer() {
    let app = spawn_app_with_queue().await;
    app.configure_number_with_short_checks().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    app.dial_result(&sid, "no-answer").await;
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(row.processed_by.as_deref(), Some("callback"));

    app.wait_for_checks(&sid, 1).await;
    app.assert_logged(r#"[Check Queue] Done: {"checked":0,"#)
        .await;
    assert_eq!(app.call_lookups(&sid), 0, "Twilio was not asked");
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.processed_by.as_deref(), Some("callback"));
}

#[tokio::test]
async fn without_the_binding_nothing_is_queued_and_the_cron_texts() {
    let app = spawn_app_with_short_checks(false).await;
    app.configure_number_with_short_checks().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "completed", &["no-answer"])
        .await;

    let summary = app.run_poll().await;
    assert_eq!(summary.texted, 1, "{summary:?}");
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    // Phase 1 and its work after the answer are long over: nothing was queued, nothing consumed,
    // and a missing binding is not worth a log line.
    let log = app.worker_log();
    assert!(!log.contains("[Check Queue]"), "{log}");
    assert!(!log.contains("CHECKS"), "{log}");
}
