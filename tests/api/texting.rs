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
        let row = app.wait_for_outcome(&sid, Outcome::Failed).await;
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

    app.assert_logged_times("Failed to send SMS for", codes.len() + 1)
        .await;
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
