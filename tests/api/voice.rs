//! `POST /api/webhooks/twilio/voice`: Phase 1 forwards, Phase 2 texts a missed call once, and a
//! broken database or setting still answers valid TwiML.
use missed_call_textback::domain::Outcome;
use test_support::*;
fn dial_of(xml: &str) -> (String, String, String, String) {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("invalid TwiML ({e}): {xml}"));
    let response = doc.root_element();
    assert_eq!(response.tag_name().name(), "Response");
    let dial = response
        .children()
        .find(|n| n.has_tag_name("Dial"))
        .expect("a <Dial>");
    let number = dial
        .children()
        .find(|n| n.has_tag_name("Number"))
        .expect("a <Number>");
    (
        dial.attribute("action").unwrap().to_string(),
        dial.attribute("method").unwrap().to_string(),
        dial.attribute("timeout").unwrap().to_string(),
        number.text().unwrap().to_string(),
    )
}

#[tokio::test]
async fn phase_one_forwards_the_call_with_a_sorted_signed_action_url() {
    let app = spawn_app().await;
    app.configure_number(
        TWILIO_NUMBER,
        serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's", "dial_timeout_secs": 17 }),
    )
    .await;
    let sid = call_sid(1);
    let reply = app.incoming_call(&sid).await;

    assert_eq!(reply.status, 200);
    assert!(
        reply.content_type.starts_with("text/xml"),
        "{}",
        reply.content_type
    );
    let (action, method, timeout, number) = dial_of(&reply.body);
    assert_eq!(
        action,
        format!("{}/api/webhooks/twilio/voice?mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559000", app.address)
    );
    assert_eq!(
        (method.as_str(), timeout.as_str(), number.as_str()),
        ("POST", "17", FORWARD_TO)
    );
    assert!(
        reply.body.contains("&amp;origFrom="),
        "the raw XML escapes '&': {}",
        reply.body
    );

    let row = app.call_row(&sid).await.unwrap();
    assert!(!row.processed);
    assert_eq!(row.outcome, None);
    app.assert_logged(&format!("[Voice Phase 1] Incoming call {sid}"))
        .await;
    assert!(
        !app.worker_log().contains(CALLER),
        "a full phone number reached the log"
    );
}

#[tokio::test]
async fn unknown_or_disabled_number_is_not_in_service() {
    let app = spawn_app().await;
    let reply = app.incoming_call(&call_sid(1)).await;
    assert_eq!(reply.status, 200);
    let doc = roxmltree::Document::parse(&reply.body).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("Hangup")));
    assert!(reply.body.contains("not in service"), "{}", reply.body);
    assert!(!reply.body.contains("<Dial"));

    app.configure_number(
        TWILIO_NUMBER,
        serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's", "enabled": false }),
    )
    .await;
    let reply = app.incoming_call(&call_sid(2)).await;
    assert!(reply.body.contains("not in service"), "{}", reply.body);
    assert_eq!(app.count_calls().await, 0);
    app.assert_logged("is not a configured, enabled number")
        .await;
}

#[tokio::test]
async fn retried_phase_one_keeps_one_row_and_does_not_reset_it() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    app.dial_result(&sid, "completed").await;
    app.wait_for_call(&sid, |row| row.processed).await;

    let retry = app.incoming_call(&sid).await;
    assert!(retry.body.contains("<Dial"), "{}", retry.body);
    assert_eq!(app.count_calls().await, 1);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        row.outcome.as_deref(),
        Some("answered"),
        "the retry reset the row"
    );
}

#[tokio::test]
async fn every_dial_status_texts_exactly_when_missed() {
    let app = spawn_app().await;
    app.configure_default_number_without_cooldown().await;
    let cases = [
        ("no-answer", true),
        ("busy", true),
        ("failed", true),
        ("canceled", true),
        ("completed", false),
        ("answered", false),
    ];
    for (n, (status, missed)) in cases.iter().enumerate() {
        let sid = call_sid(n as u32);
        app.incoming_call(&sid).await;
        let reply = app.dial_result(&sid, status).await;
        assert_eq!(reply.status, 200);
        roxmltree::Document::parse(&reply.body).expect("Phase 2 answers valid TwiML");
        let row = app
            .wait_for_call(&sid, |row| {
                row.outcome.as_deref().is_some_and(|o| o != "sending")
            })
            .await;
        let expected = if *missed { "texted" } else { "answered" };
        assert_eq!(row.outcome.as_deref(), Some(expected), "{status}");
        assert_eq!(row.processed_by.as_deref(), Some("callback"));
        assert_eq!(row.dial_call_status.as_deref(), Some(*status));
        assert!(row.processed);
    }
    let texts = app.wait_for_sms(4).await;
    assert_eq!(texts.len(), 4);
    for text in &texts {
        assert_eq!(text.form_value("To"), Some(CALLER));
        assert_eq!(text.form_value("From"), Some(TWILIO_NUMBER));
        let body = text.form_value("Body").unwrap();
        assert!(
            body.starts_with("Sorry we missed your call at Joe's Plumbing"),
            "{body}"
        );
        assert!(body.ends_with("Reply STOP to opt out."));
        assert_eq!(
            text.path,
            format!(
                "/2010-04-01/Accounts/{}/Messages.json",
                app.twilio.account_sid
            )
        );
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            app.twilio.account_sid, app.twilio.auth_token
        ));
        assert_eq!(
            text.authorization.as_deref(),
            Some(format!("Basic {expected}").as_str())
        );
    }
    app.assert_logged("[Voice Phase 2] Missed call detected - processing immediately")
        .await;
    app.assert_logged("[Missed Call Handler] SMS sent successfully: SM")
        .await;
}

#[tokio::test]
async fn the_same_callback_twice_or_twenty_times_at_once_texts_once() {
    let app = spawn_app().await;
    app.configure_default_number_without_cooldown().await;
    let twice = call_sid(1);
    app.incoming_call(&twice).await;
    app.dial_result(&twice, "no-answer").await;
    app.wait_for_outcome(&twice, Outcome::Texted).await;
    app.dial_result(&twice, "no-answer").await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);

    let burst = call_sid(2);
    app.incoming_call(&burst).await;
    let replies = futures::future::join_all((0..20).map(|_| app.dial_result(&burst, "busy"))).await;
    assert!(replies.iter().all(|r| r.status == 200));
    assert_eq!(
        app.wait_for_sms(2).await.len(),
        2,
        "exactly one more text for the burst"
    );
    let row = app.wait_for_outcome(&burst, Outcome::Texted).await;
    assert_eq!(row.sms_attempts, 1);
    // One loser for the repeated callback, nineteen for the burst.
    app.assert_logged_times(
        "[Missed Call Handler] Deduplication: SMS already sent for this call",
        20,
    )
    .await;
}

#[tokio::test]
async fn phase_two_texts_even_when_phase_one_never_recorded_the_call() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.dial_result(&sid, "no-answer").await;
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(
        (row.from_number.as_str(), row.to_number.as_str()),
        (CALLER, TWILIO_NUMBER)
    );
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
}

#[tokio::test]
async fn bad_or_missing_signature_is_403_and_changes_nothing() {
    let app = spawn_public_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let params = call_params(&sid, "ringing");
    let missing = app.post_voice_signed("", &params, None).await;
    assert_eq!(missing.status, 403);
    let forged = app
        .post_voice_signed("", &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ="))
        .await;
    assert_eq!(forged.status, 403);
    // Signed for our local address rather than the public URL Twilio would have used.
    let wrong_url = app.incoming_call(&sid).await;
    assert_eq!(wrong_url.status, 403);
    let mut phase_two = params.clone();
    phase_two.push(("DialCallStatus", "no-answer"));
    let forged_phase_two = app
        .post_voice_signed(
            &dial_query(CALLER, TWILIO_NUMBER),
            &phase_two,
            Some("bogus"),
        )
        .await;
    assert_eq!(forged_phase_two.status, 403);

    assert_eq!(app.count_calls().await, 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.sms_requests().is_empty());
    app.assert_logged("[Voice] Rejected request with an invalid X-Twilio-Signature")
        .await;

    // The same request signed over the public URL is accepted.
    let url = format!("{PUBLIC_APP_URL}{VOICE_PATH}");
    let good = app.twilio.sign(&url, &params);
    let accepted = app.post_voice_signed("", &params, Some(&good)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(app.count_calls().await, 1);
}

#[tokio::test]
async fn unsigned_requests_pass_on_a_loopback_app_url_with_a_warning() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let reply = app
        .post_voice_signed("", &call_params(&sid, "ringing"), None)
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("<Dial"));
    app.assert_logged("accepting an unsigned request because APP_URL is a loopback")
        .await;
}

#[tokio::test]
async fn malformed_webhooks_are_400_with_a_reason() {
    let app = spawn_app().await;
    let reply = app
        .post_voice("", &[("From", CALLER), ("To", TWILIO_NUMBER)])
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("CallSid"), "{}", reply.body);
    let reply = app
        .post_voice(
            "",
            &[("CallSid", "CA1"), ("From", CALLER), ("To", "not-a-number")],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("To"), "{}", reply.body);
    let reply = app
        .post_voice(
            &dial_query(CALLER, TWILIO_NUMBER),
            &call_params("CA1", "in-progress"),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("DialCallStatus"), "{}", reply.body);
}

#[tokio::test]
async fn twilio_send_errors_are_final_or_owed() {
    let app = spawn_app().await;
    app.configure_default_number().await;

    app.twilio.script_message(
        CALLER,
        MessageScript::Error {
            status: 400,
            code: 21211,
        },
    );
    let invalid = call_sid(1);
    app.dial_result(&invalid, "no-answer").await;
    let row = app.wait_for_outcome(&invalid, Outcome::Failed).await;
    assert_eq!(row.sms_error.as_deref(), Some("21211"));
    assert!(row.processed, "a final error is never retried");
    app.assert_logged("Failed to send SMS").await;

    let other = caller(2);
    app.twilio
        .script_message(&other, MessageScript::ServerError);
    let flaky = call_sid(2);
    app.dial_result_from(&flaky, &other, "no-answer").await;
    let row = app.wait_for_outcome(&flaky, Outcome::Owed).await;
    assert_eq!(row.sms_error.as_deref(), Some("http-500"));
    assert!(!row.processed, "the text is still owed");
    assert!(row.has_next_attempt);
    assert_eq!(app.sms_requests().len(), 2);
}

#[tokio::test]
async fn a_slow_twilio_never_delays_the_twiml() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio.script_message(
        CALLER,
        MessageScript::Delay(std::time::Duration::from_secs(3)),
    );
    let sid = call_sid(1);
    let reply = app.dial_result(&sid, "no-answer").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.elapsed < std::time::Duration::from_secs(2),
        "TwiML took {:?}",
        reply.elapsed
    );
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert!(row.sms_sid.unwrap().starts_with("SM"));
}

#[tokio::test]
async fn database_outage_still_connects_callers_and_texts_after_restart() {
    let mut app = spawn_app_with(Options {
        database: Database::OwnCluster,
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    // The isolate learns the number while the database is up.
    let first = call_sid(1);
    assert!(app.incoming_call(&first).await.body.contains("<Dial"));

    app.stop_database();
    let during = call_sid(2);
    let reply = app.incoming_call(&during).await;
    assert_eq!(reply.status, 200);
    let (action, _, timeout, number) = dial_of(&reply.body);
    assert_eq!((timeout.as_str(), number.as_str()), ("20", FORWARD_TO));
    assert!(action.contains("mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559000"));
    assert_eq!(app.health().await.status, 503);
    app.assert_logged("Database unavailable").await;

    // A callback that arrives while the database is away is retried inside waitUntil.
    let mid_outage = call_sid(3);
    app.incoming_call_from(&mid_outage, "+14155550177").await;
    assert_eq!(
        app.dial_result_from(&mid_outage, "+14155550177", "busy")
            .await
            .status,
        200
    );

    app.start_database().await;
    let reply = app.dial_result(&during, "no-answer").await;
    assert_eq!(reply.status, 200);
    let row = app.wait_for_outcome(&during, Outcome::Texted).await;
    assert_eq!(row.to_number, TWILIO_NUMBER);
    let row = app.wait_for_outcome(&mid_outage, Outcome::Texted).await;
    assert_eq!(row.dial_call_status.as_deref(), Some("busy"));
    assert_eq!(app.wait_for_sms(2).await.len(), 2);
}

#[tokio::test]
async fn withheld_caller_ids_are_never_texted_nor_promised_a_text() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    // The words, and the keypad spellings carriers send for ANONYMOUS, RESTRICTED, UNAVAILABLE,
    // BLOCKED and UNKNOWN, which parse as E.164.
    let withheld = [
        "anonymous",
        "Restricted",
        "+266696687",
        "+7378742833",
        "+86282452253",
        "+2562533",
        "+8656696",
    ];
    for (n, from) in withheld.iter().enumerate() {
        let sid = call_sid(n as u32);
        let forwarded = app.incoming_call_from(&sid, from).await;
        assert!(
            forwarded.body.contains("<Dial"),
            "{from}: {}",
            forwarded.body
        );
        let goodbye = app.dial_result_from(&sid, from, "no-answer").await;
        assert_eq!(goodbye.status, 200);
        assert!(
            goodbye.body.contains("<Say>") && !goodbye.body.contains("text"),
            "{from} must not be promised a text: {}",
            goodbye.body
        );
        app.wait_for_outcome(&sid, Outcome::NoCallerId).await;
    }
    assert!(app.sms_requests().is_empty(), "{:?}", app.sms_requests());
}

#[tokio::test]
async fn an_empty_from_is_still_forwarded() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let mut params = call_params_from(&sid, "ringing", "");
    let reply = app.post_voice("", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(dial_of(&reply.body).3, FORWARD_TO);
    params.retain(|(name, _)| *name != "From" && *name != "Caller");
    let reply = app.post_voice("", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(dial_of(&reply.body).3, FORWARD_TO);
    assert_eq!(app.call_row(&sid).await.unwrap().from_number, "");
}

#[tokio::test]
async fn an_unrecognised_dial_status_is_recorded_and_left_to_the_poll() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let reply = app.dial_result(&sid, "trying-harder").await;
    assert_eq!(reply.status, 200);
    let row = app
        .wait_for_call(&sid, |row| row.dial_call_status.is_some())
        .await;
    assert_eq!(row.dial_call_status.as_deref(), Some("trying-harder"));
    assert_eq!(row.outcome, None, "undecided: the poll asks Twilio");
    assert!(!row.processed);
    app.assert_logged("Unrecognised DialCallStatus").await;
}

#[tokio::test]
async fn the_owners_own_phone_is_not_forwarded_to_itself_nor_texted() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let reply = app.incoming_call_from(&sid, FORWARD_TO).await;
    assert_eq!(reply.status, 200);
    assert!(!reply.body.contains("<Dial"), "{}", reply.body);
    assert!(reply.body.contains("<Say>"), "{}", reply.body);
    let row = app.wait_for_outcome(&sid, Outcome::OwnNumber).await;
    assert!(row.processed);
    assert!(app.sms_requests().is_empty());
}

#[tokio::test]
async fn a_call_from_another_of_the_business_numbers_is_never_texted() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let second_line = "+14155559001";
    let reply = app
        .configure_number(
            second_line,
            serde_json::json!({ "forward_to": "+14155550111", "business_name": "Joe's, uptown" }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    // From the other Twilio number, and from the other line's forwarding target; the second call
    // never had a Phase 1, so the claim itself must notice.
    let from_line = call_sid(1);
    app.incoming_call_from(&from_line, second_line).await;
    app.dial_result_from(&from_line, second_line, "no-answer")
        .await;
    let from_target = call_sid(2);
    app.dial_result_from(&from_target, "+14155550111", "busy")
        .await;
    app.wait_for_outcome(&from_line, Outcome::OwnNumber).await;
    app.wait_for_outcome(&from_target, Outcome::OwnNumber).await;
    assert!(app.sms_requests().is_empty(), "{:?}", app.sms_requests());
}

#[tokio::test]
async fn phase_two_retries_when_the_database_hangs() {
    let app = spawn_app_with(Options {
        database: Database::BehindRelay,
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    // The first connection Phase 2 makes is accepted and never answered.
    app.hang_next_database_connections(1);
    let sid = call_sid(1);
    assert_eq!(app.dial_result(&sid, "no-answer").await.status, 200);
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert!(row.sms_sid.is_some());
    assert_eq!(app.database_connections_still_to_hang(), 0);
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
}
