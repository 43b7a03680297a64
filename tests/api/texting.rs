//! The missed-call handler both paths hand a call to (claim, send, record): what reaches the log
//! when Twilio refuses a text, and how a text that may already have gone out is never sent twice.
use missed_call_textback::domain::Outcome;
use test_support::*;

/// Twilio's refusals quote the numbers in full ("The 'To' number +1415… is not a valid phone
/// number."): the log gets the code and a masked summary, from the fast path and from the poll.
#[tokio::test]
async fn twilio_refusals_never_put_a_full_number_in_the_log() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let codes = [21211, 21408, 21606, 21610, 21612, 21614];
    for (n, code) in (0..).zip(codes) {
        let from = caller(n);
        app.twilio
            .script_message(&from, MessageScript::Error { status: 400, code });
        let sid = call_sid(n);
        app.dial_result_from(&sid, &from, "no-answer").await;
        // 21610: the caller opted out at Twilio, recorded as such rather than as a failure.
        let outcome = match code {
            21610 => Outcome::OptedOut,
            _ => Outcome::Failed,
        };
        let row = app.wait_for_outcome(&sid, outcome).await;
        assert_eq!(row.sms_error, Some(code.to_string()));
    }
    let polled = call_sid(99);
    app.twilio.script_message(
        &caller(99),
        MessageScript::Error {
            status: 400,
            code: 21612,
        },
    );
    app.seed_call(&polled, &caller(99), TWILIO_NUMBER, 60).await;
    app.twilio.script_call(&polled, "completed", &["no-answer"]);
    assert_eq!(app.run_poll().await.failed, 1);

    app.assert_logged_times("Failed to send SMS for", codes.len())
        .await;
    app.assert_logged("has opted out at Twilio (21610)").await;
    app.assert_logged(
        "Twilio error 21612 (The 'To' phone number: ********0099, is not currently reachable \
         using the 'From' phone number: ********9000 via SMS.)",
    )
    .await;
    // wrangler logs every request's path, and the admin API's path names the business number.
    let whole_log = app.worker_log();
    let log: Vec<&str> = whole_log
        .lines()
        .filter(|line| !line.contains("/api/admin/numbers/"))
        .collect();
    let log = log.join("\n");
    let numbers = (0..codes.len() as u32)
        .chain([99])
        .map(caller)
        .chain([TWILIO_NUMBER.to_string()]);
    for number in numbers {
        let digits = &number[1..];
        assert!(
            !log.contains(digits),
            "{number} reached the log in full:\n{log}"
        );
    }
}

/// A 2xx whose body cannot be read may well be a text that went out: it is looked up before any
/// resend, like a timeout, and found.
#[tokio::test]
async fn an_unreadable_2xx_counts_as_maybe_sent_and_is_found_not_resent() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio
        .script_message(CALLER, MessageScript::AcceptUnreadable);
    let sid = call_sid(1);
    app.dial_result(&sid, "no-answer").await;
    let row = app.wait_for_outcome(&sid, Outcome::Owed).await;
    assert_eq!(row.sms_error.as_deref(), Some("http-201"));

    app.pass_time(61).await;
    let summary = app.run_poll().await;
    assert_eq!(summary.recovered, 1, "{summary:?}");
    let sent = app.twilio.message_sids_to(CALLER);
    assert_eq!(sent.len(), 1, "one text, not two");
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.sms_sid.as_ref()),
        (Some("texted"), Some(&sent[0]))
    );
}

/// Twilio may send the `<Dial action>` callback again. When the first send's answer was lost, the
/// repeat must neither send (the first text may be out) nor, by failing, wipe the mark that makes
/// the poll look before it sends.
#[tokio::test]
async fn a_repeated_callback_neither_resends_an_ambiguous_text_nor_clears_its_mark() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio
        .script_message(CALLER, MessageScript::AcceptThenDrop);
    let sid = call_sid(1);
    app.dial_result(&sid, "no-answer").await;
    app.wait_for_outcome(&sid, Outcome::Owed).await;

    app.pass_time(61).await;
    app.twilio.script_message(
        CALLER,
        MessageScript::Error {
            status: 429,
            code: 20429,
        },
    );
    app.dial_result(&sid, "no-answer").await;
    app.assert_logged(&format!(
        "Deduplication: SMS already sent for this call {sid}"
    ))
    .await;
    app.pass_time(121).await;
    let summary = app.run_poll().await;
    assert_eq!(summary.recovered, 1, "{summary:?}");
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1, "sent once");
    assert_eq!(app.twilio.message_sids_to(CALLER).len(), 1);
}

/// A claim a crash left in `sending` may have sent its text: a late callback leaves it to the
/// poll, which looks first.
#[tokio::test]
async fn a_late_callback_leaves_a_crashed_claim_to_the_poll() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.seed_crashed_claim(&sid, CALLER, 600).await;
    let sent = app
        .twilio
        .seed_message(CALLER, TWILIO_NUMBER, &default_text());

    app.dial_result(&sid, "no-answer").await;
    app.assert_logged(&format!(
        "Deduplication: SMS already sent for this call {sid}"
    ))
    .await;
    assert_eq!(app.run_poll().await.recovered, 1);
    assert!(app.twilio.messages_to(CALLER).is_empty(), "no second text");
    assert_eq!(
        app.call_row(&sid).await.unwrap().sms_sid.as_ref(),
        Some(&sent)
    );
}
