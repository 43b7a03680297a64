//! Alerts: the cron gone quiet (noticed by the next webhook or poll), texts failing or not
//! delivered past the threshold, a poll run that failed. Each kind at most once an hour, recorded
//! in the database; POSTed as `{"text": …}` to ALERT_WEBHOOK_URL, or logged as `[Alert] …`.
use test_support::*;

async fn app_alerting_to(sink: &AlertSink, database: Database) -> TestApp {
    spawn_app_with(Options {
        database,
        vars: vec![("ALERT_WEBHOOK_URL", Some(sink.url.clone()))],
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_quiet_cron_is_alerted_once_an_hour_by_the_webhooks_and_the_poll() {
    let sink = AlertSink::start().await;
    let app = app_alerting_to(&sink, Database::Shared).await;
    app.configure_default_number().await;
    app.run_poll().await;
    assert_eq!(app.dial_result(&call_sid(1), "no-answer").await.status, 200);
    app.wait_for_sms(1).await;
    assert_eq!(
        sink.settled().await,
        Vec::<String>::new(),
        "the cron is fine"
    );

    app.age_poll_runs(10 * 60).await;
    assert_eq!(app.dial_result(&call_sid(2), "no-answer").await.status, 200);
    let alerts = sink.wait_for(1).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].contains("the cron has not finished a poll run for 10 minutes"),
        "{}",
        alerts[0]
    );
    // More webhooks and a poll in the same hour: no second alert.
    assert_eq!(app.dial_result(&call_sid(3), "busy").await.status, 200);
    app.wait_for_sms(3).await;
    app.run_poll().await;
    assert_eq!(sink.settled().await.len(), 1);
    app.assert_logged_times(
        "[Alert] Missed-call text-back: the cron has not finished",
        1,
    )
    .await;

    // An hour later the cron is quiet again: the poll that finally runs notices it.
    app.age_alerts(3600).await;
    app.age_poll_runs(20 * 60).await;
    app.run_poll().await;
    let alerts = sink.wait_for(2).await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(
        alerts[1].contains("A poll run (endpoint) has started now."),
        "{}",
        alerts[1]
    );
}

#[tokio::test]
async fn failed_and_undelivered_texts_alert_at_the_threshold_once_an_hour() {
    let sink = AlertSink::start().await;
    let app = app_alerting_to(&sink, Database::Shared).await;
    app.configure_default_number().await;
    // Two texts Twilio refuses for good: under the threshold of 3.
    for n in 1..=2 {
        app.twilio.script_message(
            &caller(n),
            MessageScript::Error {
                status: 400,
                code: 21211,
            },
        );
        let sid = call_sid(n);
        app.dial_result_from(&sid, &caller(n), "no-answer").await;
        app.wait_for_call(&sid, |row| row.processed).await;
    }
    assert_eq!(sink.settled().await, Vec::<String>::new());

    // A third: a text that went out and was not delivered.
    let sid = call_sid(3);
    app.dial_result_from(&sid, &caller(3), "no-answer").await;
    let message = app
        .wait_for_call(&sid, |row| row.sms_sid.is_some())
        .await
        .sms_sid
        .unwrap();
    app.twilio
        .deliver_status(&message, "undelivered", Some(30007))
        .await;
    let alerts = sink.wait_for(1).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].contains("3 texts failed or were not delivered in the last hour"),
        "{}",
        alerts[0]
    );

    // More failures in the same hour, from the poll and the status callback: no second alert.
    let polled = call_sid(4);
    app.twilio.script_message(
        &caller(4),
        MessageScript::Error {
            status: 400,
            code: 21614,
        },
    );
    app.seed_call(&polled, &caller(4), TWILIO_NUMBER, DUE).await;
    app.twilio.script_call(&polled, "completed", &["no-answer"]);
    assert_eq!(app.run_poll().await.failed, 1);
    app.twilio
        .deliver_status(&message, "failed", Some(30008))
        .await;
    assert_eq!(sink.settled().await.len(), 1);
}

#[tokio::test]
async fn without_an_alert_webhook_alerts_are_log_lines() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.run_poll().await;
    app.age_poll_runs(6 * 60).await;
    assert_eq!(app.dial_result(&call_sid(1), "no-answer").await.status, 200);
    app.assert_logged(
        "[Alert] Missed-call text-back: the cron has not finished a poll run for 6 minutes",
    )
    .await;
    assert!(!app.worker_log().contains("ALERT_WEBHOOK_URL"));
}

#[tokio::test]
async fn a_poll_run_that_fails_is_alerted() {
    let sink = AlertSink::start().await;
    let app = app_alerting_to(&sink, Database::OwnCluster).await;
    app.configure_default_number().await;
    app.run_poll().await;
    app.stop_database();
    for _ in 0..2 {
        assert_eq!(app.request_poll().await.status, 503);
    }
    let alerts = sink.settled().await;
    assert_eq!(
        alerts.len(),
        1,
        "once an hour, even without the database: {alerts:?}"
    );
    assert!(alerts[0].contains("a poll run failed"), "{}", alerts[0]);
    // The reason (which names the database's address) stays in the log.
    let port = app
        .db_url()
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert!(!alerts[0].contains(&port), "{}", alerts[0]);
    app.assert_logged("Check Missed Calls").await;
}

/// A run that starts but cannot finish (its statement fails) leaves no heartbeat and says why.
#[tokio::test]
async fn a_run_that_fails_midway_records_its_error_and_alerts() {
    let sink = AlertSink::start().await;
    let app = app_alerting_to(&sink, Database::Shared).await;
    app.configure_default_number().await;
    // The lease's statement fails: a column it writes is gone.
    app.db
        .batch_execute("ALTER TABLE active_calls RENAME COLUMN lease_until TO lease_gone")
        .await
        .unwrap();
    assert_eq!(app.request_poll().await.status, 503);
    let run = app
        .db
        .query_one(
            "SELECT finished_at IS NULL AS unfinished, error FROM poll_runs",
            &[],
        )
        .await
        .unwrap();
    assert!(run.get::<_, bool>("unfinished"));
    let error: String = run.get("error");
    assert!(error.contains("lease_until"), "{error}");
    let alerts = sink.wait_for(1).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("a poll run failed"), "{}", alerts[0]);
}
