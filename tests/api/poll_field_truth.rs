//! The poll against what really happens on a line (issue 10): an answered forward settles at its
//! first lookup instead of being asked about every minute, an undecided one waits out a backoff,
//! due calls are leased in the order they became due so a lost callback is never starved, and a
//! screened forward counts as answered only when a person accepted it.
use missed_call_textback::poll::PollSummary;
use test_support::*;

/// A lost callback on a screened forward whose child leg Twilio reports as `child`, accepted by a
/// person or not; returns the run that looked at it and the call as it stands after.
async fn screened_call(child: &str, accepted: bool) -> (TestApp, PollSummary, CallRow) {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "completed", &[child]).await;
    app.db
        .execute(
            "UPDATE active_calls SET screened = true,
                 accepted_at = CASE WHEN $2 THEN now() END WHERE call_sid = $1",
            &[&sid, &accepted],
        )
        .await
        .unwrap();
    let summary = app.run_poll().await;
    let row = app.call_row(&sid).await.unwrap();
    (app, summary, row)
}

#[tokio::test]
async fn a_thirty_minute_answered_call_is_looked_up_at_most_once_in_thirty_ticks() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "in-progress", &["in-progress"])
        .await;

    for _ in 0..30 {
        app.run_poll().await;
        app.pass_time(60).await;
    }
    assert!(app.call_lookups(&sid) <= 1, "{}", app.call_lookups(&sid));
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.processed),
        (Some("answered"), true)
    );
    assert!(app.sms_requests().is_empty());
}

/// Sixty calls pending far longer than a lost callback, their forwards `child` at Twilio, looked
/// at for `ticks_before` ticks before the lost one comes due; returns after two more ticks.
async fn lost_behind_sixty(child: &str, ticks_before: usize) -> TestApp {
    let app = spawn_app().await;
    app.configure_default_number().await;
    for n in 0..60 {
        let sid = call_sid(100 + n);
        app.seed_call(&sid, &caller(100 + n), TWILIO_NUMBER, 600 + n as i32)
            .await;
        app.twilio.script_call(&sid, "in-progress", &[child]);
    }
    for tick in 0..ticks_before + 2 {
        if tick == ticks_before {
            app.lost_callback(&call_sid(1), CALLER, "completed", &["no-answer"])
                .await;
        }
        app.run_poll().await;
        app.pass_time(60).await;
    }
    app
}

#[tokio::test]
async fn a_lost_callback_behind_sixty_answered_calls_is_texted_within_two_ticks() {
    let app = lost_behind_sixty("in-progress", 0).await;
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
    for n in 0..60 {
        assert!(app.call_lookups(&call_sid(100 + n)) <= 1, "call {n}");
    }
}

#[tokio::test]
async fn a_lost_callback_behind_sixty_still_ringing_calls_is_texted_within_two_ticks() {
    let app = lost_behind_sixty("ringing", 3).await;
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
}

#[tokio::test]
async fn a_still_ringing_call_is_asked_at_most_once_per_backoff_step() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "in-progress", &["ringing"])
        .await;

    // Backoff steps of 1, 2, 4 and 8 minutes: looks at 0, 1, 3 and 7 minutes, none at 15, though
    // every minute's tick runs twice.
    for _ in 0..15 {
        app.run_poll().await;
        app.run_poll().await;
        app.pass_time(60).await;
    }
    assert_eq!(app.call_lookups(&sid), 4);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!((row.outcome, row.processed), (None, false));
}

#[tokio::test]
async fn a_screened_forward_in_progress_without_acceptance_is_not_settled() {
    let (app, summary, row) = screened_call("in-progress", false).await;
    assert_eq!(summary.in_progress, 1, "{summary:?}");
    assert_eq!((row.outcome, row.processed), (None, false));
    assert!(app.sms_requests().is_empty());
}

#[tokio::test]
async fn a_screened_forward_completed_without_acceptance_is_texted_once() {
    let (app, summary, row) = screened_call("completed", false).await;
    assert_eq!(summary.texted, 1, "{summary:?}");
    assert_eq!(row.outcome.as_deref(), Some("texted"));
    app.pass_time(600).await;
    app.run_poll().await;
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
}

#[tokio::test]
async fn a_screened_forward_a_person_accepted_is_answered_without_a_text() {
    let (app, summary, row) = screened_call("completed", true).await;
    assert_eq!(summary.answered, 1, "{summary:?}");
    assert_eq!(
        (row.outcome.as_deref(), row.processed),
        (Some("answered"), true)
    );
    assert!(app.sms_requests().is_empty());
    assert_eq!(
        app.call_lookups(&call_sid(1)),
        0,
        "an acceptance needs no lookup"
    );
}

#[tokio::test]
async fn a_forward_that_appears_between_reading_the_legs_and_the_parent_is_not_taken_for_a_hang_up()
{
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "completed", &["completed"])
        .await;
    // The legs are read while the call is still before its dial; by the time the parent is read it
    // is over, its forward answered in between. (Reconciliation, which would list it first, has
    // just run.)
    app.twilio.script_call_fault(&sid, CallFault::LegsNotYet);
    app.db
        .execute(
            "INSERT INTO poll_state (job, last_run_at) VALUES ('reconcile', now())",
            &[],
        )
        .await
        .unwrap();

    let summary = app.run_poll().await;
    assert_eq!((summary.answered, summary.texted), (1, 0), "{summary:?}");
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("answered"));
    assert!(app.twilio.messages_to(CALLER).is_empty());
    // Legs, parent, legs again.
    assert_eq!(app.call_lookups(&sid), 3);
}
