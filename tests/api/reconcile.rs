//! Reconciliation (issue 10): calls the database never saw, because Phase 1 and Phase 2 both
//! failed to reach it, are found in Twilio's Calls list and texted like any missed call; calls the
//! system knows are never recorded twice, the list is read at most every 5 minutes, never past the
//! calls' maximum age, and at a request per page.
use std::time::Duration;
use test_support::*;

/// An inbound call to TWILIO_NUMBER that Twilio knows, started `ago` seconds ago, whose forward
/// was not answered.
fn unanswered_at_twilio(app: &TestApp, sid: &str, ago: u64) {
    app.twilio.script_inbound_call(
        sid,
        (CALLER, TWILIO_NUMBER),
        Duration::from_secs(ago),
        "completed",
        &["no-answer"],
    );
}

/// The default number, as if it had been configured (and last changed) a day ago: reconciliation
/// only recovers calls that came in after a number's settings last changed.
async fn configured_a_day_ago(app: &TestApp) {
    app.configure_default_number().await;
    app.db
        .execute(
            "UPDATE business_numbers SET created_at = now() - interval '1 day',
                                         updated_at = now() - interval '1 day'",
            &[],
        )
        .await
        .unwrap();
}

/// Makes reconciliation's 5 minutes pass.
async fn reconciliation_due(app: &TestApp) {
    app.db
        .execute(
            "UPDATE poll_state SET last_run_at = last_run_at - interval '5 minutes 1 second'",
            &[],
        )
        .await
        .unwrap();
}

/// Reconciliation's pages of the Calls list (50 calls a page; the poll's own listing of the calls
/// it looks up asks for pages of 1,000).
fn list_requests(app: &TestApp) -> usize {
    app.twilio
        .requests()
        .iter()
        .filter(|r| r.is_calls_list() && r.query_value("PageSize") == Some("50"))
        .count()
}

#[tokio::test]
async fn a_call_lost_to_a_database_outage_in_phase_one_and_two_is_recovered_and_texted_once() {
    let mut app = spawn_app_with(Options {
        database: Database::OwnCluster,
        ..Options::default()
    })
    .await;
    configured_a_day_ago(&app).await;
    // The isolate learns the number while the database is up.
    assert!(app.incoming_call(&call_sid(1)).await.body.contains("<Dial"));
    app.dial_result(&call_sid(1), "completed").await;

    app.stop_database();
    let lost = call_sid(2);
    assert!(app.incoming_call(&lost).await.body.contains("<Dial"));
    assert_eq!(app.dial_result(&lost, "no-answer").await.status, 200);
    app.assert_logged("Could not").await;
    unanswered_at_twilio(&app, &lost, 120);
    app.start_database().await;
    assert!(
        app.call_row(&lost).await.is_none(),
        "the database never saw it"
    );

    let summary = app.run_poll().await;
    assert_eq!((summary.reconciled, summary.texted), (1, 1), "{summary:?}");
    let row = app.call_row(&lost).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("texted"));
    app.assert_logged("[Check Missed Calls] Reconciliation: 1 calls the database never saw")
        .await;

    reconciliation_due(&app).await;
    app.pass_time(60).await;
    let again = app.run_poll().await;
    assert_eq!((again.reconciled, again.texted), (0, 0), "{again:?}");
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
}

#[tokio::test]
async fn a_call_the_system_recorded_is_never_recorded_twice_nor_texted_again() {
    let app = spawn_app().await;
    configured_a_day_ago(&app).await;
    let texted = call_sid(1);
    let answered = call_sid(2);
    for sid in [&texted, &answered] {
        app.incoming_call(sid).await;
        unanswered_at_twilio(&app, sid, 120);
    }
    app.dial_result(&texted, "no-answer").await;
    app.wait_for_outcome(&texted, missed_call_textback::domain::Outcome::Texted)
        .await;
    app.dial_result(&answered, "completed").await;

    let summary = app.run_poll().await;
    assert_eq!((summary.reconciled, summary.texted), (0, 0), "{summary:?}");
    assert_eq!(app.count_calls().await, 2);
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
    assert_eq!(
        app.call_row(&answered).await.unwrap().outcome.as_deref(),
        Some("answered")
    );
}

#[tokio::test]
async fn reconciliation_runs_at_most_once_per_five_minutes() {
    let app = spawn_app().await;
    configured_a_day_ago(&app).await;
    app.run_poll().await;
    app.run_poll().await;
    assert_eq!(list_requests(&app), 1);

    let lost = call_sid(1);
    unanswered_at_twilio(&app, &lost, 120);
    assert_eq!(app.run_poll().await.reconciled, 0, "not yet");
    reconciliation_due(&app).await;
    let summary = app.run_poll().await;
    assert_eq!((summary.reconciled, summary.texted), (1, 1), "{summary:?}");
    assert_eq!(list_requests(&app), 2);
}

#[tokio::test]
async fn reconciliation_never_reaches_past_the_maximum_call_age() {
    let app = spawn_app().await;
    configured_a_day_ago(&app).await;
    // MAX_CALL_AGE_SECS is 2 hours by default.
    let too_old = call_sid(1);
    let young = call_sid(2);
    unanswered_at_twilio(&app, &too_old, 2 * 3600 + 60);
    unanswered_at_twilio(&app, &young, 2 * 3600 - 60);

    let summary = app.run_poll().await;
    assert_eq!(summary.reconciled, 1, "{summary:?}");
    assert!(app.call_row(&too_old).await.is_none());
    assert!(app.call_row(&young).await.is_some());
    assert!(app.twilio.messages_to(CALLER).len() <= 1);
}

#[tokio::test]
async fn reconciliation_costs_a_request_per_page_not_per_number() {
    let app = spawn_app().await;
    configured_a_day_ago(&app).await;
    for n in 0..5 {
        let number = format!("+1415555910{n}");
        let reply = app
            .configure_number(
                &number,
                serde_json::json!({"forward_to": FORWARD_TO, "business_name": "Shop"}),
            )
            .await;
        assert!(reply.status < 300, "{}", reply.body);
    }
    // 120 calls with no leg (the callers hung up before the forward rang): 3 pages of 50.
    for n in 0..120 {
        app.twilio.script_inbound_call(
            &call_sid(1000 + n),
            (&caller(n), TWILIO_NUMBER),
            Duration::from_secs(300),
            "completed",
            &[],
        );
    }

    let summary = app.run_poll().await;
    assert_eq!(list_requests(&app), 3);
    assert_eq!(summary.reconciled, 120, "{summary:?}");
    assert_eq!(app.count_calls().await, 120);
}

#[tokio::test]
async fn calls_from_before_a_number_was_configured_or_reenabled_are_never_reconciled() {
    let app = spawn_app().await;
    // Twilio knows calls to the number from before it was configured here (another app served it,
    // or it was disabled and callers heard "not in service"): none of them was ours to text.
    let before = call_sid(1);
    unanswered_at_twilio(&app, &before, 600);
    app.configure_default_number().await;
    let summary = app.run_poll().await;
    assert_eq!((summary.reconciled, summary.texted), (0, 0), "{summary:?}");
    assert!(app.call_row(&before).await.is_none());
    assert!(app.twilio.messages_to(CALLER).is_empty());
}

#[tokio::test]
async fn a_call_in_the_same_second_as_the_numbers_last_change_is_still_reconciled() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    // The number changed at T+0.3 s and the call started at T+0.7 s, two minutes ago; Twilio's
    // dates drop the fraction, so its list says the call started at T, before the change.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let t = now.as_secs() - 120;
    app.db
        .execute(
            "UPDATE business_numbers SET updated_at = to_timestamp($1::int8 + 0.3)",
            &[&(t as i64)],
        )
        .await
        .unwrap();
    let sid = call_sid(1);
    let started_ago = now - Duration::from_millis(t * 1000 + 700);
    app.twilio.script_inbound_call(
        &sid,
        (CALLER, TWILIO_NUMBER),
        started_ago,
        "completed",
        &["no-answer"],
    );
    let summary = app.run_poll().await;
    assert_eq!((summary.reconciled, summary.texted), (1, 1), "{summary:?}");
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
}
