//! Voicemail: a number with `voicemail` on marks Phase 1's action URL, Phase 2 greets a missed
//! caller and records a message (the caller is still texted once), and
//! `POST /api/webhooks/twilio/recording` stores the recording and gives the owner one heads-up.
use test_support::*;

const OWNER: &str = "+14155550199";
const BUSINESS: &str = "Joe's Plumbing";
const GREETING: &str = "Joe is out on a job. Leave a message & he will call back.";

async fn configure(app: &TestApp, settings: serde_json::Value) {
    let reply = app.configure_default_number_with(settings).await;
    assert!(matches!(reply.status, 200 | 201), "{}", reply.body);
}

/// Phase 1's `<Dial action>` for a call from CALLER, as the query to post Phase 2 to.
async fn phase_one_action(app: &TestApp, sid: &str) -> String {
    let reply = app.incoming_call(sid).await;
    let doc = roxmltree::Document::parse(&reply.body)
        .unwrap_or_else(|e| panic!("invalid TwiML ({e}): {}", reply.body));
    let action = doc
        .descendants()
        .find(|n| n.has_tag_name("Dial"))
        .and_then(|dial| dial.attribute("action"))
        .unwrap_or_else(|| panic!("no <Dial action>: {}", reply.body))
        .to_string();
    action
        .strip_prefix(&format!("{}{VOICE_PATH}", app.address))
        .unwrap_or_else(|| panic!("action {action} is not the voice webhook"))
        .to_string()
}

/// Phase 2 with `status` at the action URL Phase 1 gave.
async fn phase_two(app: &TestApp, sid: &str, query: &str, status: &str) -> Reply {
    let mut params = call_params(sid, "in-progress");
    params.extend([("DialCallStatus", status), ("DialCallDuration", "0")]);
    let reply = app.post_voice(query, &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
}

/// A TwiML verb: its name, its text and its attributes.
type Verb = (String, String, Vec<(String, String)>);

/// The verbs of a TwiML answer, parsed as XML.
fn verbs_of(xml: &str) -> Vec<Verb> {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("invalid TwiML ({e}): {xml}"));
    assert!(doc.root_element().has_tag_name("Response"), "{xml}");
    doc.root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            (
                n.tag_name().name().to_string(),
                n.text().unwrap_or_default().to_string(),
                n.attributes()
                    .map(|a| (a.name().to_string(), a.value().to_string()))
                    .collect(),
            )
        })
        .collect()
}

fn attribute<'a>(verb: &'a Verb, name: &str) -> Option<&'a str> {
    verb.2
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn voicemail<'a>(call_sid: &'a str, from: &'a str, recording_sid: &'a str) -> Voicemail<'a> {
    Voicemail {
        call_sid,
        from,
        recording_sid,
        duration_secs: 42,
    }
}

fn voicemail_texts(app: &TestApp, to: &str) -> Vec<String> {
    app.twilio
        .messages_to(to)
        .iter()
        .filter_map(|m| m.form_value("Body"))
        .filter(|body| body.starts_with("Voicemail"))
        .map(str::to_string)
        .collect()
}

async fn wait_for_recording(app: &TestApp, sid: &str, notified: bool) -> StoredRecording {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let stored = app.stored_recording(sid).await;
        if let Some(stored) =
            stored.filter(|s| s.recording_sid.is_some() && (!notified || s.voicemail_notified))
        {
            return stored;
        }
        if std::time::Instant::now() > deadline {
            panic!("no recording stored on {sid}:\n{}", app.worker_log());
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_voicemail_number_marks_phase_ones_action_url() {
    let app = spawn_app().await;
    configure(&app, serde_json::json!({ "voicemail": true })).await;
    let action = phase_one_action(&app, &call_sid(1)).await;
    assert_eq!(
        action, "?mode=dial-result&origFrom=%2B14155550123&origTo=%2B14155559000&voicemail=1",
        "the default greeting stays out of the URL"
    );
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "voicemail_greeting": GREETING }),
    )
    .await;
    let action = phase_one_action(&app, &call_sid(2)).await;
    assert!(action.starts_with("?greeting=Joe+is+out"), "{action}");
    assert!(action.ends_with("&voicemail=1"), "{action}");
}

#[tokio::test]
async fn a_missed_caller_hears_the_greeting_and_a_record_and_is_still_texted_once() {
    let app = spawn_app().await;
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "voicemail_greeting": GREETING }),
    )
    .await;
    let sid = call_sid(1);
    let action = phase_one_action(&app, &sid).await;
    let reply = phase_two(&app, &sid, &action, "no-answer").await;

    let verbs = verbs_of(&reply.body);
    assert_eq!(verbs.len(), 2, "{}", reply.body);
    assert_eq!(
        (verbs[0].0.as_str(), verbs[0].1.as_str()),
        ("Say", GREETING)
    );
    let record = &verbs[1];
    assert_eq!(record.0, "Record", "{}", reply.body);
    assert_eq!(attribute(record, "maxLength"), Some("120"));
    assert_eq!(attribute(record, "playBeep"), Some("true"));
    assert_eq!(
        attribute(record, "recordingStatusCallback"),
        Some(format!(
            "{}{RECORDING_PATH}?origFrom=%2B14155550123&origTo=%2B14155559000",
            app.address
        ))
        .as_deref()
    );
    assert_eq!(
        attribute(record, "recordingStatusCallbackEvent"),
        Some("completed")
    );
    assert_eq!(
        attribute(record, "action"),
        Some(format!("{}{RECORDING_PATH}?step=done", app.address)).as_deref()
    );

    let texts = app.wait_for_sms(1).await;
    assert_eq!(
        texts.len(),
        1,
        "the caller is texted once, voicemail or not"
    );
    assert_eq!(texts[0].form_value("To"), Some(CALLER));
    app.wait_for_outcome(&sid, missed_call_textback::domain::Outcome::Texted)
        .await;

    // Voicemail off again: the old goodbye, no <Record>.
    configure(&app, serde_json::json!({ "voicemail": false })).await;
    let sid = call_sid(2);
    let action = phase_one_action(&app, &sid).await;
    assert!(!action.contains("voicemail"), "{action}");
    let reply = phase_two(&app, &sid, &action, "busy").await;
    let verbs = verbs_of(&reply.body);
    let names: Vec<&str> = verbs.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(names, ["Say", "Hangup"], "{}", reply.body);
    assert!(
        verbs[0].1.starts_with("Sorry we missed you"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn the_record_action_thanks_the_caller_and_hangs_up() {
    let app = spawn_app().await;
    configure(&app, serde_json::json!({ "voicemail": true })).await;
    let sid = call_sid(1);
    let reply = app.recording_done(&voicemail(&sid, CALLER, "RE1")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let verbs = verbs_of(&reply.body);
    let names: Vec<&str> = verbs.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(names, ["Say", "Hangup"], "{}", reply.body);
    assert_eq!(verbs[0].1, "Thank you. Goodbye.");
    assert_eq!(app.get(RECORDING_PATH).await.status, 405);
}

#[tokio::test]
async fn the_recording_is_stored_and_the_owner_told_once() {
    let app = spawn_app().await;
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "notify_owner": true, "notify_to": OWNER }),
    )
    .await;
    let sid = call_sid(1);
    let action = phase_one_action(&app, &sid).await;
    phase_two(&app, &sid, &action, "no-answer").await;
    let recording_sid = format!("RE{}", "a".repeat(32));
    let voicemail = voicemail(&sid, CALLER, &recording_sid);

    let reply = app.recording_callback(&voicemail, "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    roxmltree::Document::parse(&reply.body).expect("empty TwiML");
    let stored = wait_for_recording(&app, &sid, true).await;
    assert_eq!(
        stored.recording_sid.as_deref(),
        Some(recording_sid.as_str())
    );
    assert_eq!(stored.recording_url, Some(voicemail.url(&app)));
    assert_eq!(stored.recording_duration, Some(42));

    // The missed call's heads-up and the voicemail's, in whichever order they were sent.
    app.wait_for_texts_to(OWNER, 2).await;
    let texts = app.twilio.messages_to(OWNER);
    assert!(texts
        .iter()
        .all(|t| t.form_value("From") == Some(TWILIO_NUMBER)));
    let mut bodies: Vec<&str> = texts.iter().filter_map(|t| t.form_value("Body")).collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            format!("Missed call from {CALLER} — we texted them."),
            format!(
                "Voicemail from {CALLER} (0:42) for {BUSINESS}: {}.mp3",
                voicemail.url(&app)
            ),
        ]
    );

    // Twilio sends it again: nothing changes, nothing more is sent.
    let again = app.recording_callback(&voicemail, "").await;
    assert_eq!(again.status, 200);
    app.assert_logged("was stored before: unchanged").await;
    app.assert_logged("was already sent").await;
    assert_eq!(app.twilio.messages_to(OWNER).len(), 2);
    assert_eq!(app.stored_recording(&sid).await, Some(stored));
    let log = app.worker_log();
    assert!(
        !log.contains(CALLER) && !log.contains(OWNER),
        "a full phone number reached the log"
    );
}

#[tokio::test]
async fn without_notify_owner_the_voicemail_is_stored_and_nobody_told() {
    let app = spawn_app().await;
    configure(&app, serde_json::json!({ "voicemail": true })).await;
    let sid = call_sid(1);
    app.incoming_call(&sid).await;
    let reply = app
        .recording_callback(&voicemail(&sid, CALLER, "RE2"), "")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = wait_for_recording(&app, &sid, false).await;
    assert!(!stored.voicemail_notified);
    app.assert_logged("does not notify its owner").await;
    assert_eq!(voicemail_texts(&app, FORWARD_TO), Vec::<String>::new());
}

#[tokio::test]
async fn a_voicemail_of_a_call_phase_one_never_recorded_is_stored_from_its_url() {
    let app = spawn_app().await;
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "notify_owner": true }),
    )
    .await;
    let sid = call_sid(1);
    let mut withheld = voicemail(&sid, "anonymous", "RE3");
    withheld.duration_secs = 7;
    let reply = app.recording_callback(&withheld, "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    wait_for_recording(&app, &sid, true).await;
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        (row.from_number.as_str(), row.to_number.as_str()),
        ("anonymous", TWILIO_NUMBER)
    );
    app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert_eq!(
        voicemail_texts(&app, FORWARD_TO),
        [format!(
            "Voicemail from a withheld number (0:07) for {BUSINESS}: {}.mp3",
            withheld.url(&app)
        )]
    );
}

#[tokio::test]
async fn a_recording_callback_missing_a_field_is_400_naming_it() {
    let app = spawn_app().await;
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "notify_owner": true }),
    )
    .await;
    let sid = call_sid(1);
    for field in [
        "CallSid",
        "RecordingSid",
        "RecordingUrl",
        "RecordingDuration",
    ] {
        let reply = app
            .recording_callback(&voicemail(&sid, CALLER, "RE4"), field)
            .await;
        assert_eq!(reply.status, 400, "{field}: {}", reply.body);
        assert!(reply.body.contains(field), "{field}: {}", reply.body);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.call_row(&sid).await.map(|r| r.from_number), None);
    assert!(app.sms_requests().is_empty());
}

#[tokio::test]
async fn unsigned_or_forged_recording_callbacks_are_403_and_store_nothing() {
    let app = spawn_public_app().await;
    configure(
        &app,
        serde_json::json!({ "voicemail": true, "notify_owner": true }),
    )
    .await;
    let sid = call_sid(1);
    let voicemail = voicemail(&sid, CALLER, "RE5");
    assert_eq!(
        app.unsigned_recording_callback(&voicemail).await.status,
        403
    );
    // Signed for the address the test posts to, not the public APP_URL Twilio signs.
    assert_eq!(app.recording_callback(&voicemail, "").await.status, 403);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.call_row(&sid).await.is_none());
    assert!(app.sms_requests().is_empty());
}
