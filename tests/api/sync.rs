//! `POST /api/admin/numbers/{e164}/sync` and `PUT` with `"sync": true`: the number at Twilio (the
//! double's IncomingPhoneNumbers) ends up sending calls and texts to this worker, or the answer says
//! why not (an app or a trunk in the way, a number the account does not own, Twilio failing).
use reqwest::Method;
use test_support::*;

/// Where the worker takes inbound texts; its voice webhook is `VOICE_PATH`.
const SMS_PATH: &str = "/api/webhooks/twilio/sms";

/// What Twilio answers a freshly bought number's calls with, until someone points it elsewhere.
const DEMO_VOICE_URL: &str = "https://demo.twilio.com/welcome/voice/";

fn definition() -> serde_json::Value {
    serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's Plumbing" })
}

#[tokio::test]
async fn sync_points_the_number_at_the_worker_and_a_second_sync_changes_nothing() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = app.twilio.own_number(TWILIO_NUMBER);
    app.twilio.set_number_field(&sid, "voice_method", "GET");

    let reply = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let voice_url = format!("{}{VOICE_PATH}", app.address);
    let sms_url = format!("{}{SMS_PATH}", app.address);
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "twilio_number": TWILIO_NUMBER,
            "sid": sid,
            "changed": {
                "voice_url": { "from": DEMO_VOICE_URL, "to": voice_url },
                "voice_method": { "from": "GET", "to": "POST" },
                "sms_url": { "from": "https://demo.twilio.com/welcome/sms/reply/", "to": sms_url },
            },
        })
    );
    let resource = app.twilio.number_resource(&sid);
    assert_eq!(resource["voice_url"], voice_url.as_str());
    assert_eq!(resource["voice_method"], "POST");
    assert_eq!(resource["sms_url"], sms_url.as_str());
    assert_eq!(resource["sms_method"], "POST");
    let lookup = app
        .twilio
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/IncomingPhoneNumbers.json"))
        .expect("the number was looked up");
    assert_eq!(lookup.query_value("PhoneNumber"), Some(TWILIO_NUMBER));
    let updates = app.number_updates();
    assert_eq!(updates.len(), 1);
    assert!(updates[0]
        .path
        .ends_with(&format!("/IncomingPhoneNumbers/{sid}.json")));
    assert_eq!(updates[0].form_value("VoiceUrl"), Some(voice_url.as_str()));
    assert_eq!(updates[0].form_value("SmsMethod"), Some("POST"));

    let again = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["changed"], serde_json::json!({}));
    assert_eq!(again.json()["sid"], sid.as_str());
    assert_eq!(app.number_updates().len(), 1, "nothing to change: no POST");
}

#[tokio::test]
async fn an_app_or_a_trunk_on_the_number_is_a_409_naming_it_and_changes_nothing() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = app.twilio.own_number(TWILIO_NUMBER);
    let app_sid = "AP0123456789abcdef0123456789abcdef";
    let trunk_sid = "TK0123456789abcdef0123456789abcdef";
    for (field, value, ignored) in [
        ("voice_application_sid", app_sid, "VoiceUrl"),
        ("sms_application_sid", app_sid, "SmsUrl"),
        ("trunk_sid", trunk_sid, "VoiceUrl"),
    ] {
        app.twilio.set_number_field(&sid, field, value);
        let reply = app.sync_number(TWILIO_NUMBER).await;
        assert_eq!(reply.status, 409, "{field}: {}", reply.body);
        let error = reply.json()["error"].as_str().unwrap().to_string();
        let expected = format!("{field} is {value}");
        assert!(error.contains(&expected), "{error}");
        assert!(
            error.contains(&format!("Twilio ignores {ignored} while it is set")),
            "{error}"
        );
        // Cleared as Twilio clears it: the empty string.
        app.twilio.set_number_field(&sid, field, "");
    }
    assert!(app.number_updates().is_empty());
    assert_eq!(
        app.twilio.number_resource(&sid)["voice_url"],
        DEMO_VOICE_URL
    );
    // With nothing in the way any more, the same number syncs.
    assert_eq!(app.sync_number(TWILIO_NUMBER).await.status, 200);
}

#[tokio::test]
async fn sync_needs_the_token_a_configured_number_and_one_the_account_owns() {
    let app = spawn_app().await;
    let path = format!("/api/admin/numbers/{TWILIO_NUMBER}/sync");
    for token in [None, Some("wrong-token")] {
        let reply = app.request(Method::POST, &path, token, None).await;
        assert_eq!(reply.status, 401, "{token:?}: {}", reply.body);
    }
    let reply = app.sync_number("4155559000").await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("twilio_number"), "{}", reply.body);
    let reply = app
        .request(Method::GET, &path, Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(reply.status, 405);

    // Owned at Twilio but not configured here: pointing it here would answer "not in service".
    let sid = app.twilio.own_number(TWILIO_NUMBER);
    let reply = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert!(reply.body.contains("is not configured"), "{}", reply.body);
    assert!(
        app.twilio.requests().is_empty(),
        "no Twilio request before the number is known to be configured"
    );

    // Configured but disabled: the same reason, a 409 saying what to do.
    let mut disabled = definition();
    disabled["enabled"] = serde_json::json!(false);
    app.configure_number(TWILIO_NUMBER, disabled).await;
    let reply = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(
        reply.body.contains("is disabled: enable it first"),
        "{}",
        reply.body
    );
    assert!(app.twilio.requests().is_empty(), "nothing asked of Twilio");

    app.configure_number("+14155559001", definition()).await;
    let reply = app.sync_number("%2B14155559001").await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert!(
        reply.body.contains("not a number of this Twilio account"),
        "{}",
        reply.body
    );
    assert!(app.number_updates().is_empty());
    assert_eq!(
        app.twilio.number_resource(&sid)["voice_url"],
        DEMO_VOICE_URL
    );
}

#[tokio::test]
async fn sync_is_closed_without_an_admin_token_setting() {
    let app = spawn_app_with(Options {
        vars: vec![("ADMIN_TOKEN", None)],
        ..Options::default()
    })
    .await;
    app.twilio.own_number(TWILIO_NUMBER);
    let reply = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.body.contains("ADMIN_TOKEN"), "{}", reply.body);
    assert!(app.twilio.requests().is_empty());
}

#[tokio::test]
async fn a_put_with_sync_saves_the_number_and_points_it_at_the_worker() {
    let app = spawn_app().await;
    let sid = app.twilio.own_number(TWILIO_NUMBER);
    let mut body = definition();
    body["sync"] = true.into();
    let reply = app.configure_number(TWILIO_NUMBER, body.clone()).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let answer = reply.json();
    assert_eq!(answer["forward_to"], FORWARD_TO);
    assert_eq!(answer["sync"]["sid"], sid.as_str());
    let voice_url = format!("{}{VOICE_PATH}", app.address);
    assert_eq!(
        answer["sync"]["changed"]["voice_url"]["to"],
        voice_url.as_str()
    );
    assert_eq!(
        app.twilio.number_resource(&sid)["voice_url"],
        voice_url.as_str()
    );
    let stored = app.get_number(TWILIO_NUMBER).await.json();
    assert!(stored.get("sync").is_none(), "not stored: {stored}");

    let reply = app.configure_number(TWILIO_NUMBER, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["sync"]["changed"], serde_json::json!({}));
    let reply = app.configure_number(TWILIO_NUMBER, definition()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json().get("sync").is_none(), "{}", reply.body);
    assert_eq!(app.number_updates().len(), 1);
}

#[tokio::test]
async fn twilio_failing_is_a_502_and_a_put_still_saves_the_number() {
    let app = spawn_app().await;
    let sid = app.twilio.own_number(TWILIO_NUMBER);
    let mut body = definition();
    body["sync"] = true.into();
    app.twilio.fail_number_requests(1);
    let reply = app.configure_number(TWILIO_NUMBER, body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let sync = &reply.json()["sync"];
    assert_eq!(sync["status"], 502, "{sync}");
    let error = sync["error"].as_str().unwrap();
    assert!(error.starts_with("Twilio failed: "), "{error}");
    assert!(error.contains("20500"), "{error}");
    assert_eq!(app.get_number(TWILIO_NUMBER).await.status, 200);
    app.assert_logged("saved but not synced: Twilio failed")
        .await;

    app.twilio.fail_number_requests(1);
    let reply = app.sync_number(TWILIO_NUMBER).await;
    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(reply.body.contains("Twilio failed"), "{}", reply.body);
    assert!(app.number_updates().is_empty());
    assert_eq!(
        app.twilio.number_resource(&sid)["voice_url"],
        DEMO_VOICE_URL
    );
    let log = app.worker_log();
    let admin_lines: Vec<&str> = log.lines().filter(|l| l.contains("[Admin]")).collect();
    assert!(!admin_lines.is_empty(), "{log}");
    assert!(
        admin_lines.iter().all(|line| !line.contains(TWILIO_NUMBER)),
        "a full number in the log:\n{log}"
    );
    assert_eq!(app.sync_number(TWILIO_NUMBER).await.status, 200);
}
