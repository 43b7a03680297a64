//! The forwarded leg: call screening (`/api/webhooks/twilio/screen`), so carrier voicemail is not
//! taken for an answer, and the leg's status callback (`/api/webhooks/twilio/dial-status`), the third
//! signal beside Phase 2 and the poll. Requests come from the double in Twilio's format.
use missed_call_textback::domain::Outcome;
use test_support::*;

/// Well past the default 20 s dial timeout + 20 s grace.
const DUE: i32 = 60;
const BUSINESS: &str = "Joe's";

async fn screened_app() -> TestApp {
    let app = spawn_app().await;
    let screened = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": BUSINESS, "screen_calls": true }),
        )
        .await;
    assert!(screened.status < 300, "{}", screened.body);
    app
}

/// What the row says about the forward: (screened, accepted, answered).
async fn forward_marks(app: &TestApp, sid: &str) -> (bool, bool, bool) {
    let row = app
        .db
        .query_one(
            "SELECT screened, accepted_at IS NOT NULL AS accepted, answered_at IS NOT NULL AS answered
             FROM active_calls WHERE call_sid = $1",
            &[&sid],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// A moment for a late request's background work to run, then: still answered, nothing texted.
async fn stays_answered_without_a_text(app: &TestApp, sid: &str) {
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(app.sms_requests().is_empty());
    let row = app.call_row(sid).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("answered"), "never overturned");
}

/// The `<Number>` of a Phase 1 answer, parsed as Twilio would.
fn number_attributes(xml: &str) -> Vec<(String, String)> {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("invalid TwiML ({e}): {xml}"));
    let number = doc
        .descendants()
        .find(|n| n.has_tag_name("Number"))
        .unwrap_or_else(|| panic!("no <Number>: {xml}"));
    assert_eq!(number.text(), Some(FORWARD_TO));
    number
        .attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect()
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn phase_one_gives_every_forward_a_status_callback_and_a_screened_one_its_screen() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let plain = call_sid(1);
    let reply = app.incoming_call(&plain).await;
    let attributes = number_attributes(&reply.body);
    let status_url = |address: &str, sid: &str, screened: bool| {
        format!(
            "{address}{DIAL_STATUS_PATH}{}",
            forward_query(sid, CALLER, screened, &[])
        )
    };
    assert_eq!(
        attributes,
        vec![
            (
                "statusCallback".to_string(),
                status_url(&app.address, &plain, false)
            ),
            ("statusCallbackEvent".into(), "answered completed".into()),
            ("statusCallbackMethod".into(), "POST".into()),
        ]
    );
    assert!(!reply.body.contains("screened=1"), "{}", reply.body);
    assert_eq!(forward_marks(&app, &plain).await, (false, false, false));

    app.configure_number(
        TWILIO_NUMBER,
        serde_json::json!({ "forward_to": FORWARD_TO, "business_name": BUSINESS, "screen_calls": true }),
    )
    .await;
    let screened = call_sid(2);
    let reply = app.incoming_call(&screened).await;
    let attributes = number_attributes(&reply.body);
    assert_eq!(
        attribute(&attributes, "statusCallback"),
        Some(status_url(&app.address, &screened, true).as_str())
    );
    let screen_url = format!(
        "{}{SCREEN_PATH}{}",
        app.address,
        forward_query(&screened, CALLER, true, &[("business", BUSINESS)])
    );
    assert_eq!(attribute(&attributes, "url"), Some(screen_url.as_str()));
    assert_eq!(attribute(&attributes, "method"), Some("POST"));
    let doc = roxmltree::Document::parse(&reply.body).unwrap();
    let action = doc
        .descendants()
        .find(|n| n.has_tag_name("Dial"))
        .and_then(|dial| dial.attribute("action"))
        .unwrap();
    assert_eq!(
        action,
        format!(
            "{}{VOICE_PATH}{}&screened=1",
            app.address,
            dial_query(CALLER, TWILIO_NUMBER)
        )
    );
    assert_eq!(forward_marks(&app, &screened).await, (true, false, false));
}

#[tokio::test]
async fn the_screen_asks_whoever_picked_up_to_press_a_key() {
    let app = screened_app().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let leg = app.forward_leg(&sid, CALLER);
    let reply = app.screen_call(&leg, BUSINESS).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let doc = roxmltree::Document::parse(&reply.body).unwrap();
    let response = doc.root_element();
    let children: Vec<_> = response.children().filter(|n| n.is_element()).collect();
    assert_eq!(children.len(), 2, "{}", reply.body);
    let gather = children[0];
    assert!(gather.has_tag_name("Gather") && children[1].has_tag_name("Hangup"));
    assert_eq!(gather.attribute("numDigits"), Some("1"));
    assert_eq!(gather.attribute("method"), Some("POST"));
    assert!(gather.attribute("timeout").unwrap().parse::<u32>().unwrap() > 0);
    let accept = format!(
        "{}{SCREEN_PATH}{}",
        app.address,
        forward_query(
            &sid,
            CALLER,
            true,
            &[("business", BUSINESS), ("step", "accept")]
        )
    );
    assert_eq!(gather.attribute("action"), Some(accept.as_str()));
    let said = gather
        .children()
        .find(|n| n.has_tag_name("Say"))
        .and_then(|say| say.text())
        .unwrap();
    assert!(
        said.contains("for Joe's from 1 4 1 5 5 5 5 0 1 2 3"),
        "{said}"
    );
    assert!(said.contains("Press any key"), "{said}");
    assert!(
        !app.worker_log().contains(CALLER),
        "no full number in the log"
    );
}

#[tokio::test]
async fn a_screened_forward_nobody_accepted_is_texted_once() {
    let app = screened_app().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    // Carrier voicemail picked up: the screen was asked, nobody pressed a key.
    app.screen_call(&app.forward_leg(&sid, CALLER), BUSINESS)
        .await;
    let reply = app.dial_result_with(&sid, CALLER, "completed", true).await;
    assert_eq!(reply.status, 200);
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(row.processed_by.as_deref(), Some("callback"));
    app.dial_result_with(&sid, CALLER, "completed", true).await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    app.assert_logged("Missed call detected - nobody accepted the screened forward")
        .await;
}

#[tokio::test]
async fn a_screened_forward_a_person_accepted_is_answered_without_a_text() {
    let app = screened_app().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let leg = app.forward_leg(&sid, CALLER);
    app.screen_call(&leg, BUSINESS).await;
    let accepted = app.accept_screen(&leg, BUSINESS).await;
    assert_eq!(accepted.status, 200);
    let doc = roxmltree::Document::parse(&accepted.body).unwrap();
    assert!(doc.root_element().has_tag_name("Response"));
    assert_eq!(
        doc.root_element().children().count(),
        0,
        "bridges: {}",
        accepted.body
    );
    assert_eq!(forward_marks(&app, &sid).await, (true, true, false));

    app.dial_result_with(&sid, CALLER, "completed", true).await;
    let row = app.wait_for_outcome(&sid, Outcome::Answered).await;
    assert_eq!(row.processed_by.as_deref(), Some("callback"));
    // The status callback's late "completed" agrees, and texts nothing.
    app.dial_status(&leg, "completed", true).await;
    stays_answered_without_a_text(&app, &sid).await;
}

#[tokio::test]
async fn acceptance_racing_phase_two_is_consistent() {
    let app = screened_app().await;
    let calls: Vec<(String, String)> = (0..20).map(|n| (call_sid(n), caller(n))).collect();
    for (sid, from) in &calls {
        app.incoming_call_from(sid, from).await;
        let leg = app.forward_leg(sid, from);
        let (accepted, ended) = tokio::join!(
            app.accept_screen(&leg, BUSINESS),
            app.dial_result_with(sid, from, "completed", true)
        );
        assert_eq!((accepted.status, ended.status), (200, 200));
    }
    for (sid, from) in &calls {
        let row = app.wait_for_call(sid, |row| row.processed).await;
        let (_, accepted, _) = forward_marks(&app, sid).await;
        let texts = app.twilio.messages_to(from).len();
        match row.outcome.as_deref() {
            Some("answered") => assert!(accepted && texts == 0, "{sid}: {row:?}"),
            Some("texted") => assert!(!accepted && texts == 1, "{sid}: {row:?}"),
            other => panic!("{sid} ended {other:?}:\n{}", app.worker_log()),
        }
    }
}

#[tokio::test]
async fn a_lost_action_request_is_texted_by_the_status_callback() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let leg = app.forward_leg(&sid, CALLER);
    let reply = app.dial_status(&leg, "no-answer", false).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // No poll runs: the status callback alone texts (how fast is the fast_path benchmark's
    // business, not a timed assertion's).
    let row = app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(row.processed_by.as_deref(), Some("status_callback"));
    assert_eq!(row.dial_call_status.as_deref(), Some("no-answer"));
    app.assert_logged("[Dial Status] Missed call detected")
        .await;

    // The action request arrives late, the callback is repeated, a stray "completed" follows.
    app.dial_result(&sid, "no-answer").await;
    app.dial_status(&leg, "no-answer", false).await;
    app.dial_status(&leg, "completed", false).await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("texted"), "never overturned");
    assert_eq!(app.call_lookups(&sid), 0);
}

#[tokio::test]
async fn action_status_callback_and_poll_racing_text_each_call_once() {
    let app = spawn_app_with(Options {
        vars: vec![("POLL_TWILIO_BUDGET", Some("1000".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    let calls: Vec<(String, String)> = (0..20).map(|n| (call_sid(n), caller(n))).collect();
    for (sid, from) in &calls {
        app.incoming_call_from(sid, from).await;
        app.age_call(sid, DUE).await;
        app.twilio.script_call(sid, "completed", &["no-answer"]);
    }
    let races = calls.iter().enumerate().map(|(n, (sid, from))| {
        let app = &app;
        async move {
            let leg = app.forward_leg(sid, from);
            // Each call gets a different mix; every call gets the status callback.
            let (status, action, _) = tokio::join!(
                app.dial_status(&leg, "no-answer", false),
                async {
                    if n % 2 == 0 {
                        Some(app.dial_result_from(sid, from, "no-answer").await)
                    } else {
                        None
                    }
                },
                async {
                    if n % 3 != 2 {
                        app.run_poll().await;
                    }
                }
            );
            assert_eq!(status.status, 200);
            assert!(action.is_none_or(|reply| reply.status == 200));
        }
    });
    futures::future::join_all(races).await;
    assert_eq!(app.wait_for_sms(20).await.len(), 20);
    for (sid, from) in &calls {
        app.wait_for_outcome(sid, Outcome::Texted).await;
        assert_eq!(app.twilio.messages_to(from).len(), 1, "{sid}");
    }
}

#[tokio::test]
async fn an_answered_status_callback_settles_the_call_and_the_poll_never_asks() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let leg = app.forward_leg(&sid, CALLER);
    assert_eq!(
        app.dial_status(&leg, "in-progress", false).await.status,
        200
    );
    let row = app.wait_for_outcome(&sid, Outcome::Answered).await;
    assert_eq!(row.processed_by.as_deref(), Some("status_callback"));
    assert_eq!(forward_marks(&app, &sid).await, (false, false, true));

    app.age_call(&sid, DUE).await;
    app.twilio
        .script_call(&sid, "in-progress", &["in-progress"]);
    app.run_poll().await;
    assert_eq!(app.call_lookups(&sid), 0);
    // A late "no-answer" (out of order) does not overturn it.
    app.dial_status(&leg, "no-answer", false).await;
    app.dial_result(&sid, "no-answer").await;
    stays_answered_without_a_text(&app, &sid).await;
}

#[tokio::test]
async fn a_screened_pick_up_alone_proves_nothing() {
    let app = screened_app().await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let leg = app.forward_leg(&sid, CALLER);
    app.dial_status(&leg, "in-progress", true).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !forward_marks(&app, &sid).await.2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.outcome, None, "voicemail picks up too");
    assert_eq!(forward_marks(&app, &sid).await, (true, false, true));
    app.dial_status(&leg, "completed", true).await;
    app.wait_for_outcome(&sid, Outcome::Texted).await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
}

#[tokio::test]
async fn forged_forward_requests_are_403_and_record_nothing() {
    let app = spawn_public_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    // Signed by the double over our local address, not the public URL Twilio would have used.
    let leg = app.forward_leg(&sid, CALLER);
    assert_eq!(app.screen_call(&leg, BUSINESS).await.status, 403);
    assert_eq!(app.accept_screen(&leg, BUSINESS).await.status, 403);
    assert_eq!(app.dial_status(&leg, "no-answer", false).await.status, 403);
    for path in [SCREEN_PATH, DIAL_STATUS_PATH] {
        let url = format!(
            "{}{path}{}",
            app.address,
            forward_query(&sid, CALLER, false, &[])
        );
        let unsigned = app
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("CallSid=CA2&CallStatus=no-answer&Digits=1")
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status().as_u16(), 403, "{path}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.count_calls().await, 0);
    assert!(app.sms_requests().is_empty());
}

#[tokio::test]
async fn malformed_forward_requests_are_400_with_a_reason_and_record_nothing() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    let url = |path: &str, query: String| format!("{}{path}{query}", app.address);
    let cases = [
        (
            url(DIAL_STATUS_PATH, forward_query(&sid, CALLER, false, &[])),
            vec![("CallSid", "CA2")],
            "CallStatus",
        ),
        (
            url(
                DIAL_STATUS_PATH,
                "?origFrom=%2B14155550123&origTo=%2B14155559000".to_string(),
            ),
            vec![("CallSid", "CA2"), ("CallStatus", "no-answer")],
            "parentCallSid",
        ),
        (
            url(
                SCREEN_PATH,
                forward_query(&sid, CALLER, true, &[("step", "accept")]),
            ),
            vec![("CallSid", "CA2")],
            "Digits",
        ),
        (
            url(
                SCREEN_PATH,
                format!("?parentCallSid={sid}&origFrom=x&origTo=555"),
            ),
            vec![("CallSid", "CA2")],
            "origTo",
        ),
    ];
    for (url, params, reason) in cases {
        let (status, body) = app.twilio.post_webhook(&url, &params).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body.contains(reason), "{url}: {body} should name {reason}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.count_calls().await, 0);
}

#[tokio::test]
async fn screening_works_for_calls_phase_one_could_not_record() {
    let mut app = spawn_app_with(Options {
        database: Database::OwnCluster,
        ..Options::default()
    })
    .await;
    app.configure_number(
        TWILIO_NUMBER,
        serde_json::json!({ "forward_to": FORWARD_TO, "business_name": BUSINESS, "screen_calls": true }),
    )
    .await;
    // The isolate learns the number while the database is up.
    app.incoming_call(&call_sid(0)).await;
    app.stop_database();
    let (accepted, ignored) = (call_sid(1), call_sid(2));
    let from_ignored = caller(2);
    for (sid, from) in [(&accepted, CALLER), (&ignored, from_ignored.as_str())] {
        let reply = app.incoming_call_from(sid, from).await;
        let attributes = number_attributes(&reply.body);
        let screen_url = format!(
            "{}{SCREEN_PATH}{}",
            app.address,
            forward_query(sid, from, true, &[("business", BUSINESS)])
        );
        assert_eq!(attribute(&attributes, "url"), Some(screen_url.as_str()));
    }
    app.start_database().await;
    assert_eq!(
        app.count_calls().await,
        1,
        "only the call before the outage"
    );

    let leg = app.forward_leg(&accepted, CALLER);
    assert_eq!(app.screen_call(&leg, BUSINESS).await.status, 200);
    assert_eq!(app.accept_screen(&leg, BUSINESS).await.status, 200);
    app.dial_result_with(&accepted, CALLER, "completed", true)
        .await;
    app.dial_result_with(&ignored, &from_ignored, "completed", true)
        .await;
    app.wait_for_outcome(&accepted, Outcome::Answered).await;
    app.wait_for_outcome(&ignored, Outcome::Texted).await;
    let texts = app.wait_for_sms(1).await;
    assert_eq!(texts.len(), 1);
    assert_eq!(app.twilio.messages_to(&from_ignored).len(), 1);
}
