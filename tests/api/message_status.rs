//! `/api/webhooks/twilio/message-status`: what became of each text. Every text asks Twilio for
//! status callbacks; they are recorded on the call, in whatever order and however often they come,
//! and a status never moves backwards.
use test_support::*;

/// A call texted by Phase 2; returns the text's MessageSid.
async fn texted_call(app: &TestApp, sid: &str) -> String {
    assert_eq!(app.dial_result(sid, "no-answer").await.status, 200);
    let row = app.wait_for_call(sid, |row| row.sms_sid.is_some()).await;
    row.sms_sid.expect("texted")
}

#[tokio::test]
async fn every_text_asks_for_status_callbacks_and_delivery_is_recorded() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let message = texted_call(&app, &sid).await;
    let texts = app.sms_requests();
    assert_eq!(
        texts[0].form_value("StatusCallback"),
        Some(format!("{}{MESSAGE_STATUS_PATH}", app.address).as_str())
    );
    assert_eq!(app.delivery(&sid).await.sms_status, None);

    let (status, body) = app.twilio.deliver_status(&message, "sent", None).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>")
    );
    app.wait_for_delivery(&sid, "sent").await;
    app.twilio.deliver_status(&message, "delivered", None).await;
    let delivered = app.wait_for_delivery(&sid, "delivered").await;
    assert!(delivered.delivered);
    assert_eq!(delivered.sms_error_code, None);
    app.assert_logged(&format!(
        "[Message Status] Text {message} for {sid} delivered"
    ))
    .await;
}

#[tokio::test]
async fn late_and_repeated_callbacks_never_move_a_status_backwards() {
    let app = spawn_app().await;
    app.configure_default_number_without_cooldown().await;
    let sid = call_sid(1);
    let message = texted_call(&app, &sid).await;

    // Twilio's callbacks race: `delivered` overtakes `sent`, and comes twice.
    assert_eq!(app.message_status(&message, "delivered", None).await.0, 200);
    app.wait_for_delivery(&sid, "delivered").await;
    for late in ["sent", "queued", "delivered", "undelivered"] {
        let code = (late == "undelivered").then_some(30003);
        assert_eq!(app.message_status(&message, late, code).await.0, 200);
    }
    app.assert_logged_times("arrived after a later status or again", 4)
        .await;
    let kept = app.delivery(&sid).await;
    assert_eq!(
        (
            kept.sms_status.as_deref(),
            kept.sms_error_code,
            kept.delivered
        ),
        (Some("delivered"), None, true)
    );

    // Out of order the other way: `sent` after `queued` moves forward.
    let second = call_sid(2);
    let message = texted_call(&app, &second).await;
    app.message_status(&message, "queued", None).await;
    app.wait_for_delivery(&second, "queued").await;
    app.message_status(&message, "undelivered", Some(30007))
        .await;
    let undelivered = app.wait_for_delivery(&second, "undelivered").await;
    assert_eq!(undelivered.sms_error_code, Some(30007));
    assert!(!undelivered.delivered);
    app.message_status(&message, "sent", None).await;
    app.assert_logged_times("arrived after a later status or again", 5)
        .await;
    assert_eq!(
        app.delivery(&second).await.sms_status.as_deref(),
        Some("undelivered")
    );
    app.assert_logged(&format!(
        "Text {message} for {second} undelivered: error 30007: carriers filtered it: register the number for A2P 10DLC"
    ))
    .await;
}

#[tokio::test]
async fn a_status_for_a_message_no_call_sent_is_200_and_logged() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let stranger = "SM0000000000000000000000000000beef";
    let (status, _) = app.message_status(stranger, "delivered", None).await;
    assert_eq!(status, 200, "an error would only make Twilio retry");
    app.assert_logged(&format!(
        "[Message Status] Status delivered for {stranger}, which no call has recorded"
    ))
    .await;
}

#[tokio::test]
async fn only_callbacks_twilio_signed_for_the_public_url_are_recorded() {
    let app = spawn_public_app().await;
    let sid = call_sid(1);
    let message = "SM0123456789abcdef0123456789abcdef";
    app.seed_call(&sid, CALLER, TWILIO_NUMBER, 30).await;
    app.db
        .execute(
            "UPDATE active_calls SET outcome = 'texted', processed = true, sms_sid = $2
             WHERE call_sid = $1",
            &[&sid, &message],
        )
        .await
        .unwrap();
    let params = [
        ("MessageSid", message),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
    ];
    let post = |signature: Option<String>| {
        let mut request = app
            .http
            .post(format!("{}{MESSAGE_STATUS_PATH}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(params).unwrap());
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None).await, 403);
    assert_eq!(post(Some("bm90IGEgc2lnbmF0dXJl".into())).await, 403);
    let for_local_address = app
        .twilio
        .sign(&format!("{}{MESSAGE_STATUS_PATH}", app.address), &params);
    assert_eq!(post(Some(for_local_address)).await, 403);
    // A 403 is answered before anything is scheduled: nothing can be recorded later.
    assert_eq!(app.delivery(&sid).await.sms_status, None);

    let for_public_url = app
        .twilio
        .sign(&format!("{PUBLIC_APP_URL}{MESSAGE_STATUS_PATH}"), &params);
    assert_eq!(post(Some(for_public_url)).await, 200);
    let recorded = app.wait_for_delivery(&sid, "undelivered").await;
    assert_eq!(recorded.sms_error_code, Some(30003));
}

#[tokio::test]
async fn a_status_callback_without_its_fields_is_400_with_the_reason() {
    let app = spawn_app().await;
    let url = format!("{}{MESSAGE_STATUS_PATH}", app.address);
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("MessageStatus", "sent")], "MessageSid"),
        (
            &[("MessageSid", "SM0123456789abcdef0123456789abcdef")],
            "MessageStatus",
        ),
        (
            &[
                ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
                ("MessageStatus", "failed"),
                ("ErrorCode", "thirty"),
            ],
            "ErrorCode",
        ),
    ];
    for (params, field) in cases {
        let (status, body) = app.twilio.post_webhook(&url, params).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(field), "{body} should name {field}");
    }
    let wrong_method = app.get(MESSAGE_STATUS_PATH).await;
    assert_eq!(wrong_method.status, 405);
}

/// The design document's "deduplication triggers": a lost claim on a call whose text was claimed
/// is counted on the call; a late signal about an answered call is not a prevented duplicate.
#[tokio::test]
async fn prevented_duplicates_are_counted_on_the_call() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    texted_call(&app, &sid).await;
    // Twilio retries the action request, and the forward's status callback reports the same end.
    assert_eq!(app.dial_result(&sid, "no-answer").await.status, 200);
    let leg = app.forward_leg(&sid, CALLER);
    assert_eq!(app.dial_status(&leg, "no-answer", false).await.status, 200);
    app.assert_logged_times("Deduplication: SMS already sent for this call", 2)
        .await;
    assert_eq!(app.sms_requests().len(), 1);
    assert_eq!(app.delivery(&sid).await.dedup_prevented, 2);

    let answered = call_sid(2);
    assert_eq!(app.dial_result(&answered, "completed").await.status, 200);
    app.wait_for_call(&answered, |row| row.processed).await;
    assert_eq!(app.dial_result(&answered, "no-answer").await.status, 200);
    app.assert_logged_times("Deduplication: SMS already sent for this call", 3)
        .await;
    assert_eq!(app.delivery(&answered).await.dedup_prevented, 0);
}

/// A status Twilio adds later is kept by name and ranked as `sent`: a final status still replaces
/// it. `read` (after `delivered`) keeps the delivery time.
#[tokio::test]
async fn an_unknown_status_gives_way_to_a_final_one_and_read_keeps_the_delivery() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let message = texted_call(&app, &sid).await;
    app.message_status(&message, "partially_delivered", None)
        .await;
    app.wait_for_delivery(&sid, "partially_delivered").await;
    app.message_status(&message, "queued", None).await;
    app.assert_logged("arrived after a later status or again")
        .await;
    app.message_status(&message, "delivered", None).await;
    let delivered = app.wait_for_delivery(&sid, "delivered").await;
    assert!(delivered.delivered);
    app.message_status(&message, "read", None).await;
    let read = app.wait_for_delivery(&sid, "read").await;
    assert!(read.delivered, "read keeps the delivery time: {read:?}");
}

/// A text whose send looked failed but went out: its status callbacks reach the worker before the
/// poll finds and adopts the message. They are kept, and the call takes them up on adoption.
#[tokio::test]
async fn statuses_that_come_before_the_text_is_recorded_are_taken_up_later() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio
        .script_message(CALLER, MessageScript::AcceptUnreadable);
    let sid = call_sid(1);
    assert_eq!(app.dial_result(&sid, "no-answer").await.status, 200);
    let row = app.wait_for_call(&sid, |row| row.has_next_attempt).await;
    assert_eq!(row.sms_sid, None, "the send's answer was unreadable");
    let message = app.twilio.message_sids_to(CALLER).pop().expect("created");
    app.twilio.deliver_status(&message, "sent", None).await;
    app.twilio.deliver_status(&message, "delivered", None).await;
    app.assert_logged_times("which no call has recorded", 2)
        .await;

    app.pass_time(121).await;
    let summary = app.run_poll().await;
    assert_eq!(summary.recovered, 1, "{summary:?}");
    let adopted = app.delivery(&sid).await;
    assert_eq!(adopted.sms_sid.as_deref(), Some(message.as_str()));
    assert_eq!(adopted.sms_status.as_deref(), Some("delivered"));
    assert!(adopted.delivered);
    assert_eq!(app.sms_requests().len(), 1, "not sent again");
}
