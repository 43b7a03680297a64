//! The cron endpoints and triggers: the fallback poll (`/api/cron/check-missed-calls`) against the
//! Twilio double's Calls and Messages APIs, and the cleanup (`/api/cron/cleanup-old-calls`).
use missed_call_textback::domain::Outcome;
use reqwest::Method;
use test_support::*;

#[tokio::test]
async fn a_lost_callback_is_texted_by_the_poll_exactly_once() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "completed", &["no-answer"])
        .await;

    let summary = app.run_poll().await;
    assert_eq!(summary.checked, 1, "{summary:?}");
    assert_eq!(summary.texted, 1, "{summary:?}");
    assert_eq!(
        summary.twilio_requests, 3,
        "child legs + the text + the first run's page of reconciliation: {summary:?}"
    );
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("texted"));
    assert_eq!(row.processed_by.as_deref(), Some("poll"));
    assert_eq!(row.dial_call_status.as_deref(), Some("no-answer"));
    app.assert_logged("[Check Missed Calls] Found 1 calls to check")
        .await;
    app.assert_logged("[Check Missed Calls - FALLBACK] Missed call detected")
        .await;

    let again = app.run_poll().await;
    assert_eq!(again.checked, 0, "{again:?}");
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    assert_eq!(app.call_lookups(&sid), 1);
}

#[tokio::test]
async fn not_yet_due_calls_are_left_to_the_callback() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    app.twilio.script_call(&sid, "in-progress", &["ringing"]);
    let summary = app.run_poll().await;
    assert_eq!(summary.checked, 0, "{summary:?}");
    assert_eq!(app.call_lookups(&sid), 0);
}

#[tokio::test]
async fn callback_and_poll_racing_text_once_each_time() {
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("1000".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    for n in 0..100 {
        let sid = call_sid(n);
        let from = caller(n);
        app.lost_callback(&sid, &from, "completed", &["no-answer"])
            .await;
        let (callback, poll) = tokio::join!(
            app.dial_result_from(&sid, &from, "no-answer"),
            app.run_poll()
        );
        assert_eq!(callback.status, 200);
        assert!(poll.texted <= 1, "{poll:?}");
    }
    let texts = app.wait_for_sms(100).await;
    assert_eq!(texts.len(), 100);
    for n in 0..100 {
        assert_eq!(app.twilio.messages_to(&caller(n)).len(), 1, "call {n}");
    }
}

#[tokio::test]
async fn the_child_leg_decides_answered_in_progress_and_hung_up() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let answered = call_sid(1);
    let ringing = call_sid(2);
    let hung_up = call_sid(3);
    app.lost_callback(&answered, &caller(1), "completed", &["completed"])
        .await;
    app.lost_callback(&ringing, &caller(2), "in-progress", &[])
        .await;
    app.lost_callback(&hung_up, &caller(3), "completed", &[])
        .await;

    let first = app.run_poll().await;
    assert_eq!(
        (
            Some(first.checked),
            Some(first.answered),
            Some(first.in_progress),
            Some(first.texted)
        ),
        (Some(3), Some(1), Some(1), Some(1)),
        "{first:?}"
    );
    assert_eq!(
        app.call_row(&answered).await.unwrap().outcome.as_deref(),
        Some("answered")
    );
    assert!(app.twilio.messages_to(&caller(1)).is_empty());
    let waiting = app.call_row(&ringing).await.unwrap();
    assert!(
        !waiting.processed && waiting.outcome.is_none(),
        "{waiting:?}"
    );
    assert!(app.twilio.messages_to(&caller(2)).is_empty());
    assert_eq!(
        app.twilio.messages_to(&caller(3)).len(),
        1,
        "a caller who hung up before the forward is texted"
    );
    assert_eq!(
        app.call_row(&hung_up)
            .await
            .unwrap()
            .dial_call_status
            .as_deref(),
        Some("hung-up-before-dial")
    );

    // A later tick, once its backoff is over: the forward has now rung out.
    app.twilio.script_call(&ringing, "completed", &["busy"]);
    app.end_backoff(&ringing).await;
    let second = app.run_poll().await;
    assert_eq!(
        (Some(second.checked), Some(second.texted)),
        (Some(1), Some(1)),
        "{second:?}"
    );
    assert_eq!(app.twilio.messages_to(&caller(2)).len(), 1);
    assert_eq!(app.run_poll().await.checked, 0);
}

#[tokio::test]
async fn unknown_sids_are_cleaned_up_and_lookup_errors_retried() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let unknown = call_sid(1);
    assert_eq!(
        app.incoming_call_from(&unknown, &caller(1)).await.status,
        200
    );
    app.age_call(&unknown, DUE).await;
    let flaky = call_sid(2);
    app.lost_callback(&flaky, &caller(2), "completed", &["no-answer"])
        .await;
    app.twilio.fail_lookups(&flaky, 1);

    let first = app.run_poll().await;
    assert_eq!(
        (Some(first.cleaned_up), Some(first.errors)),
        (Some(1), Some(1)),
        "{first:?}"
    );
    // No child legs, then the call itself: 404.
    let asked = app.call_lookups(&unknown);
    assert_eq!(asked, 2);
    let row = app.call_row(&unknown).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.processed),
        (Some("not_found"), true)
    );
    app.assert_logged("Twilio does not know").await;
    assert!(app.twilio.messages_to(&caller(2)).is_empty());

    // Backed off: the next tick leaves it alone until the backoff ends.
    assert_eq!(app.run_poll().await.checked, 0);
    app.end_backoff(&flaky).await;
    let retried = app.run_poll().await;
    assert_eq!(retried.texted, 1, "{retried:?}");
    assert_eq!(app.run_poll().await.checked, 0);
    assert_eq!(
        app.call_lookups(&unknown),
        asked,
        "a 404 is final: never asked again"
    );
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
}

#[tokio::test]
async fn overlapping_runs_never_share_a_call() {
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("1000".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    for n in 0..30 {
        app.lost_callback(&call_sid(n), &caller(n), "completed", &["no-answer"])
            .await;
    }
    let (a, b, c) = tokio::join!(app.run_poll(), app.run_poll(), app.run_poll());
    let checked: u32 = [&a, &b, &c].iter().map(|s| s.checked).sum();
    assert_eq!(checked, 30, "{a:?} {b:?} {c:?}");
    assert_eq!(app.wait_for_sms(30).await.len(), 30);
    for n in 0..30 {
        assert_eq!(app.twilio.messages_to(&caller(n)).len(), 1, "call {n}");
    }
}

#[tokio::test]
async fn the_twilio_budget_bounds_each_run_oldest_first() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    // Insert 200 lost callbacks directly: oldest is call 0.
    for n in 0..200u32 {
        let sid = call_sid(n);
        app.seed_call(&sid, &caller(n), TWILIO_NUMBER, 600 - n as i32)
            .await;
        app.twilio.script_call(&sid, "completed", &["no-answer"]);
    }
    let mut texted_so_far = 0;
    for run in 0..3 {
        let before = app.twilio.requests().len();
        let summary = app.run_poll().await;
        let used = app.twilio.requests().len() - before;
        assert!(
            used <= 45,
            "run {run:?} made {used} Twilio requests: {summary:?}"
        );
        assert_eq!(summary.twilio_requests as usize, used, "{summary:?}");
        let texted = summary.texted;
        assert!(texted > 0);
        // A run leases at most `budget` due calls; those it had no budget left for go back.
        assert_eq!(summary.deferred, 45 - texted, "{summary:?}");
        assert!(summary.more_due, "{summary:?}");
        // Oldest first: exactly the next `texted` callers got their text.
        for n in texted_so_far..texted_so_far + texted {
            assert_eq!(
                app.twilio.messages_to(&caller(n)).len(),
                1,
                "call {n} in run {run:?}"
            );
        }
        assert!(app
            .twilio
            .messages_to(&caller(texted_so_far + texted))
            .is_empty());
        texted_so_far += texted;
    }
    app.assert_logged("Twilio budget of 45 requests used up")
        .await;
}

#[tokio::test]
async fn old_calls_expire_and_owed_texts_are_retried_once() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let stale = call_sid(1);
    app.lost_callback(&stale, &caller(1), "completed", &["no-answer"])
        .await;
    app.age_call(&stale, 3 * 3600).await;

    app.twilio.script_message(
        &caller(2),
        MessageScript::Error {
            status: 429,
            code: 20429,
        },
    );
    let owed = call_sid(2);
    app.dial_result_from(&owed, &caller(2), "no-answer").await;
    app.wait_for_outcome(&owed, Outcome::Owed).await;

    let first = app.run_poll().await;
    assert_eq!(
        (Some(first.expired), Some(first.checked)),
        (Some(1), Some(0)),
        "{first:?}"
    );
    let row = app.call_row(&stale).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.processed),
        (Some("expired"), true)
    );
    assert_eq!(app.call_lookups(&stale), 0);

    app.end_backoff(&owed).await;
    let retry = app.run_poll().await;
    assert_eq!(
        (Some(retry.checked), Some(retry.texted)),
        (Some(1), Some(1)),
        "{retry:?}"
    );
    assert_eq!(
        retry.twilio_requests, 1,
        "an owed text needs no lookup: {retry:?}"
    );
    let row = app.call_row(&owed).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.sms_attempts),
        (Some("texted"), 2)
    );
    assert_eq!(app.run_poll().await.checked, 0);
    assert_eq!(
        app.twilio.messages_to(&caller(2)).len(),
        2,
        "one refused, one sent"
    );
    assert!(app.twilio.messages_to(&caller(1)).is_empty());
}

#[tokio::test]
async fn cleanup_deletes_exactly_the_old_processed_calls() {
    let app = spawn_app().await;
    let rows = [
        ("CAold_processed_1", true, 8 * 86_400),
        ("CAold_processed_2", true, 30 * 86_400),
        ("CArecent_processed", true, 6 * 86_400),
        ("CAold_unprocessed", false, 8 * 86_400),
    ];
    for (sid, processed, age) in rows {
        app.db
            .execute(
                "INSERT INTO active_calls (call_sid, from_number, to_number, received_at, processed, processed_at)
                 VALUES ($1, $2, $3, now() - make_interval(secs => $5::int), $4,
                         CASE WHEN $4 THEN now() - make_interval(secs => $5::int) END)",
                &[&sid, &CALLER, &TWILIO_NUMBER, &processed, &age],
            )
            .await
            .unwrap();
    }
    app.db
        .batch_execute(
            "INSERT INTO line_types (phone, line_type, looked_up_at) VALUES
                 ('+14155550123', 'landline', now() - interval '181 days'),
                 ('+14155550124', 'mobile', now() - interval '179 days')",
        )
        .await
        .unwrap();
    for token in [None, Some("wrong")] {
        let denied = app
            .request(Method::DELETE, "/api/cron/cleanup-old-calls", token, None)
            .await;
        assert_eq!(denied.status, 401);
        let denied = app
            .request(Method::GET, "/api/cron/check-missed-calls", token, None)
            .await;
        assert_eq!(denied.status, 401);
    }
    assert_eq!(app.count_calls().await, 4);
    let reply = app.cleanup_old_calls().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        serde_json::json!({ "deleted": 2, "deleted_poll_runs": 0, "deleted_line_types": 1 })
    );
    let line_types: Vec<String> = app
        .db
        .query("SELECT phone FROM line_types", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        line_types,
        ["+14155550124"],
        "Lookup's answers are kept 180 days"
    );
    assert!(app.call_row("CArecent_processed").await.is_some());
    assert!(app.call_row("CAold_unprocessed").await.is_some());
    assert_eq!(app.count_calls().await, 2);
}

#[tokio::test]
async fn cron_triggers_run_their_jobs_and_unknown_ones_are_ignored() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.lost_callback(&sid, CALLER, "completed", &["canceled"])
        .await;
    assert_eq!(app.fire_cron("*/1 * * * *").await.status, 200);
    let row = app.wait_for_call(&sid, |row| row.processed).await;
    assert_eq!(
        (row.outcome.as_deref(), row.processed_by.as_deref()),
        (Some("texted"), Some("poll"))
    );

    app.db
        .batch_execute(
            "UPDATE active_calls SET processed_at = now() - interval '8 days';
             UPDATE poll_runs SET started_at = now() - interval '8 days';",
        )
        .await
        .unwrap();
    assert_eq!(app.fire_cron("0 4 * * 1").await.status, 200);
    app.assert_logged("[Cleanup] Deleted 1 processed calls and 1 poll runs older than 7 days")
        .await;
    assert_eq!(app.count_calls().await, 0);

    assert_eq!(app.fire_cron("5 5 5 5 5").await.status, 200);
    app.assert_logged("[Scheduled] Unknown cron \"5 5 5 5 5\": ignored")
        .await;
}

#[tokio::test]
async fn polling_only_mode_leaves_the_text_to_the_poll() {
    let app = spawn_app_with(Options {
        vars: vec![("POLLING_ONLY", Some("true".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let reply = app.dial_result(&sid, "no-answer").await;
    assert!(reply.body.contains("<Hangup/>"), "{}", reply.body);
    let row = app
        .wait_for_call(&sid, |row| row.dial_call_status.is_some())
        .await;
    assert_eq!(
        (row.dial_call_status.as_deref(), row.outcome.as_deref()),
        (Some("no-answer"), None)
    );
    app.assert_logged("polling-only mode, the poll will text")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        app.sms_requests().is_empty(),
        "Phase 2 must not text in polling-only mode"
    );

    app.age_call(&sid, DUE).await;
    app.twilio.script_call(&sid, "completed", &["no-answer"]);
    assert_eq!(app.run_poll().await.texted, 1);
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
}

/// A send whose answer was lost is looked up before any resend. The message it created is still
/// queued (no `date_sent` yet), so the lookup must not filter on `DateSent`.
#[tokio::test]
async fn a_queued_message_from_an_ambiguous_send_is_adopted_and_a_lost_one_resent() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    // The text went out but the answer was lost; then one that really was lost.
    app.twilio
        .script_message(&caller(1), MessageScript::AcceptThenDrop);
    app.twilio.script_message(&caller(2), MessageScript::Drop);
    let went = call_sid(1);
    let lost = call_sid(2);
    for (sid, from) in [(&went, caller(1)), (&lost, caller(2))] {
        app.dial_result_from(sid, &from, "no-answer").await;
        let row = app.wait_for_outcome(sid, Outcome::Owed).await;
        assert_eq!(row.sms_error.as_deref(), Some("network"), "{row:?}");
        app.end_backoff(sid).await;
    }

    let summary = app.run_poll().await;
    assert_eq!(
        (Some(summary.recovered), Some(summary.texted)),
        (Some(1), Some(1)),
        "{summary:?}"
    );
    // Each looked up once; only the lost one sent again (and reconciliation's one page).
    assert_eq!(summary.twilio_requests, 4, "{summary:?}");
    assert_eq!(
        app.twilio.messages_to(&caller(1)).len(),
        1,
        "the text that went is not sent twice"
    );
    assert_eq!(app.twilio.messages_to(&caller(2)).len(), 2);
    let lookups = app
        .twilio
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/Messages.json"))
        .collect::<Vec<_>>();
    assert_eq!(lookups.len(), 2);
    assert!(lookups
        .iter()
        .any(|r| r.query_value("To") == Some(caller(1).as_str())
            && r.query_value("From") == Some(TWILIO_NUMBER)
            && r.query
                .iter()
                .all(|(name, _)| !name.starts_with("DateSent"))));
    for sid in [&went, &lost] {
        let row = app.call_row(sid).await.unwrap();
        assert_eq!(
            (row.outcome.as_deref(), row.processed),
            (Some("texted"), true),
            "{row:?}"
        );
        assert!(row.sms_sid.unwrap().starts_with("SM"));
    }
    app.assert_logged("had gone out after all").await;
    assert_eq!(app.run_poll().await.checked, 0);
}

#[tokio::test]
async fn a_claim_left_sending_by_a_crash_is_recovered() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let rows = [
        ("CAcrashed_after_send", 1, 600),
        ("CAcrashed_before_send", 2, 600),
        ("CAstill_sending", 3, 60),
    ];
    for (sid, n, claimed_secs_ago) in rows {
        app.seed_crashed_claim(sid, &caller(n), claimed_secs_ago)
            .await;
    }
    let sent = app
        .twilio
        .seed_message(&caller(1), TWILIO_NUMBER, &default_text());

    let summary = app.run_poll().await;
    assert_eq!(
        (
            Some(summary.checked),
            Some(summary.recovered),
            Some(summary.texted)
        ),
        (Some(2), Some(1), Some(1)),
        "a claim younger than five minutes may still be sending: {summary:?}"
    );
    let adopted = app.call_row("CAcrashed_after_send").await.unwrap();
    assert_eq!(
        (adopted.outcome.as_deref(), adopted.sms_sid.as_deref()),
        (Some("texted"), Some(sent.as_str()))
    );
    assert!(
        app.twilio.messages_to(&caller(1)).is_empty(),
        "no second text"
    );
    let resent = app.call_row("CAcrashed_before_send").await.unwrap();
    assert_eq!(
        (resent.outcome.as_deref(), resent.sms_attempts),
        (Some("texted"), 2)
    );
    assert_eq!(app.twilio.messages_to(&caller(2)).len(), 1);
    let young = app.call_row("CAstill_sending").await.unwrap();
    assert_eq!(young.outcome.as_deref(), Some("sending"));
    assert!(app.twilio.messages_to(&caller(3)).is_empty());
}

/// A database fault on one call costs that call alone: the run goes on, texts the others, and
/// leaves no lease to hold anything back for 15 minutes; the next tick tries the call again.
#[tokio::test]
async fn a_database_error_on_one_call_spares_the_others_and_holds_no_lease() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sids: Vec<String> = (0..5).map(call_sid).collect();
    let (broken, ringing) = (&sids[0], &sids[4]);
    for (n, sid) in (0..).zip(&sids) {
        // Oldest first: the broken call is checked before the others.
        app.seed_call(sid, &caller(n), TWILIO_NUMBER, 600 - n as i32)
            .await;
        app.twilio.script_call(sid, "completed", &["no-answer"]);
    }
    app.twilio.script_call(ringing, "in-progress", &["ringing"]);
    app.db
        .batch_execute(&format!(
            "CREATE FUNCTION fail_claim() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.call_sid = '{broken}' AND NEW.outcome = 'sending' THEN
                     RAISE EXCEPTION 'injected fault';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER fail_claim BEFORE INSERT OR UPDATE ON active_calls
                 FOR EACH ROW EXECUTE FUNCTION fail_claim();"
        ))
        .await
        .unwrap();

    let summary = app.run_poll().await;
    assert_eq!(
        (
            Some(summary.checked),
            Some(summary.texted),
            Some(summary.in_progress),
            Some(summary.errors)
        ),
        (Some(5), Some(3), Some(1), Some(1)),
        "{summary:?}"
    );
    for n in 1..4 {
        assert_eq!(app.twilio.messages_to(&caller(n)).len(), 1, "call {n}");
    }
    assert_eq!(app.leased_calls().await, Vec::<String>::new());
    app.assert_logged(&format!(
        "[Check Missed Calls] Database error while checking {broken}"
    ))
    .await;
    let row = app.call_row(broken).await.unwrap();
    assert_eq!((row.outcome, row.processed), (None, false));

    app.db
        .batch_execute("DROP TRIGGER fail_claim ON active_calls")
        .await
        .unwrap();
    app.end_backoff(ringing).await;
    let next = app.run_poll().await;
    assert_eq!(
        (Some(next.texted), Some(next.in_progress)),
        (Some(1), Some(1)),
        "{next:?}"
    );
    assert_eq!(app.twilio.messages_to(&caller(0)).len(), 1);
}

/// A send the poll could not make waits the documented backoff (1 minute, then 2), not the
/// run's 15-minute lease.
#[tokio::test]
async fn a_failed_send_in_the_poll_is_retried_after_one_then_two_minutes() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.seed_call(&sid, CALLER, TWILIO_NUMBER, DUE).await;
    app.twilio.script_call(&sid, "completed", &["no-answer"]);
    for _ in 0..2 {
        app.twilio.script_message(
            CALLER,
            MessageScript::Error {
                status: 429,
                code: 20429,
            },
        );
    }
    assert_eq!(app.run_poll().await.errors, 1);
    assert_eq!(app.run_poll().await.checked, 0, "not before a minute");

    app.pass_time(61).await;
    let second = app.run_poll().await;
    assert_eq!(
        (Some(second.checked), Some(second.errors)),
        (Some(1), Some(1)),
        "retried after a minute: {second:?}"
    );
    app.pass_time(61).await;
    assert_eq!(
        app.run_poll().await.checked,
        0,
        "the second wait is two minutes"
    );
    app.pass_time(60).await;
    let third = app.run_poll().await;
    assert_eq!(third.texted, 1, "{third:?}");
    assert_eq!(app.twilio.messages_to(CALLER).len(), 3);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.sms_attempts),
        (Some("texted"), 3)
    );
}

/// Only this call's own text counts as gone: the same body, created since the claim, and not
/// failed or undelivered. Any other message from the business to the caller is not adopted.
#[tokio::test]
async fn only_a_live_message_with_the_same_body_created_since_the_claim_is_adopted() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let text = default_text();
    let seeded = |n: u32, body: &str| app.twilio.seed_message(&caller(n), TWILIO_NUMBER, body);
    let other_body = seeded(1, "Thanks for calling! See you on Tuesday.");
    let before_the_claim = seeded(2, &text);
    app.twilio
        .backdate_message(&before_the_claim, std::time::Duration::from_secs(1200));
    let failed = seeded(3, &text);
    app.twilio
        .set_message_status(&failed, "failed", Some(30007));
    let undelivered = seeded(4, &text);
    app.twilio
        .set_message_status(&undelivered, "undelivered", Some(30003));
    let queued = seeded(5, &text);
    let delivered = seeded(6, &text);
    app.twilio.set_message_status(&delivered, "delivered", None);
    for n in 1..=6 {
        app.seed_crashed_claim(&format!("CAcrashed{n}"), &caller(n), 600)
            .await;
    }

    let summary = app.run_poll().await;
    assert_eq!(
        (
            Some(summary.checked),
            Some(summary.recovered),
            Some(summary.texted)
        ),
        (Some(6), Some(2), Some(4)),
        "{summary:?}"
    );
    for (n, not_ours) in (1..).zip([other_body, before_the_claim, failed, undelivered]) {
        let row = app.call_row(&format!("CAcrashed{n}")).await.unwrap();
        assert_eq!(row.outcome.as_deref(), Some("texted"));
        assert_ne!(row.sms_sid, Some(not_ours), "call {n}");
        assert_eq!(app.twilio.messages_to(&caller(n)).len(), 1, "call {n}");
    }
    for (n, ours) in [(5, queued), (6, delivered)] {
        let row = app.call_row(&format!("CAcrashed{n}")).await.unwrap();
        assert_eq!(row.sms_sid, Some(ours), "call {n}");
        assert!(app.twilio.messages_to(&caller(n)).is_empty(), "call {n}");
    }
}

/// The poll's database round trips grow with its batches, not its calls: sixty missed calls are
/// claimed, reserved and recorded a statement per batch each, where the poll once spent three per
/// call (191 round trips for this run).
#[tokio::test]
async fn a_poll_s_round_trips_grow_with_its_batches_not_its_calls() {
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("1000".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    app.seed_due_calls(60).await;
    let before = app.db_round_trips().await;
    let summary = app.run_poll().await;
    // The two statements of db_round_trips itself.
    let round_trips = app.db_round_trips().await - before - 2;
    assert_eq!((summary.checked, summary.texted), (60, 60), "{summary:?}");
    let sends = app
        .twilio
        .requests()
        .iter()
        .filter(|r| r.is_message_send())
        .count();
    assert_eq!(sends, 60);
    assert!(round_trips <= 20, "{round_trips} round trips for 60 calls");
}

/// From twenty calls to look up, one listing of the account's calls decides them (a request for
/// a page of a thousand, where each lookup costs one or two); a call the listing does not hold is
/// looked up on its own.
#[tokio::test]
async fn one_listing_decides_many_due_calls_and_the_rest_are_looked_up() {
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("1000".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    for n in 0..24 {
        let leg = if n < 20 { "no-answer" } else { "completed" };
        app.lost_callback(&call_sid(n), &caller(n), "completed", &[leg])
            .await;
    }
    // Twilio does not know this one: not in the listing, so looked up, and cleaned up.
    let unknown = call_sid(24);
    app.seed_call(&unknown, &caller(24), TWILIO_NUMBER, 600)
        .await;
    let summary = app.run_poll().await;
    assert_eq!(
        (summary.texted, summary.answered, summary.cleaned_up),
        (20, 4, 1),
        "{summary:?}"
    );
    let requests = app.twilio.requests();
    let lookups: Vec<_> = requests.iter().filter(|r| r.is_call_lookup()).collect();
    // Its legs, then the call itself: only the call the listing lacks.
    assert_eq!(lookups.len(), 2);
    assert!(lookups.iter().all(|r| r.path.contains(unknown.as_str())
        || r.query_value("ParentCallSid") == Some(unknown.as_str())));
    let pages = |size| {
        let listing = |r: &&RecordedRequest| r.is_calls_list() && r.query_value("PageSize") == size;
        requests.iter().filter(listing).count() as u32
    };
    assert_eq!(pages(Some("1000")), 1);
    // Reconciliation's pages (every 5 minutes, this run's turn), the listing, the unknown call's
    // lookups, the texts.
    let reconciliation = pages(Some("50"));
    assert_eq!(
        summary.twilio_requests,
        reconciliation + 1 + 2 + 20,
        "{summary:?}"
    );
    app.assert_logged("[Check Missed Calls] Listed 48 of Twilio's calls (1 pages): 24 of 25 calls decided without a lookup of their own")
        .await;
}
