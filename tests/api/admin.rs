//! `/api/admin/numbers[/{e164}]`: bearer auth, validation with reasons, create/replace/read/delete.
use reqwest::Method;
use test_support::*;

#[tokio::test]
async fn admin_requires_the_bearer_token() {
    let app = spawn_app().await;
    for token in [None, Some("wrong-token")] {
        let reply = app
            .request(Method::GET, "/api/admin/numbers", token, None)
            .await;
        assert_eq!(reply.status, 401, "{token:?}");
        let reply = app
            .request(
                Method::PUT,
                &format!("/api/admin/numbers/{TWILIO_NUMBER}"),
                token,
                Some("{}".into()),
            )
            .await;
        assert_eq!(reply.status, 401);
    }
    let reply = app.list_numbers().await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), serde_json::json!({ "numbers": [] }));
}

#[tokio::test]
async fn admin_rejects_invalid_numbers_with_reasons() {
    let app = spawn_app().await;
    let cases = [
        (
            "4155559000",
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's" }),
            "twilio_number",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": "555-0100", "business_name": "Joe's" }),
            "forward_to",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "" }),
            "business_name",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "J", "dial_timeout_secs": 601 }),
            "dial_timeout_secs",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "J", "sms_template": "Hi {first_name}" }),
            "placeholder",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "business_name": "J" }),
            "forward_to",
        ),
        (
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "J", "colour": "red" }),
            "colour",
        ),
    ];
    for (number, body, expected) in cases {
        let reply = app.configure_number(number, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert!(
            reply.json()["error"].as_str().unwrap().contains(expected),
            "{body}: {}",
            reply.body
        );
    }
    let reply = app
        .request(
            Method::PUT,
            &format!("/api/admin/numbers/{TWILIO_NUMBER}"),
            Some(ADMIN_TOKEN),
            Some("{not json".into()),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = app.list_numbers().await;
    assert_eq!(
        reply.json()["numbers"],
        serde_json::json!([]),
        "nothing was stored"
    );
}

#[tokio::test]
async fn admin_round_trip() {
    let app = spawn_app().await;
    let created = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's Plumbing", "dial_timeout_secs": 25 }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let stored = created.json();
    assert_eq!(stored["twilio_number"], TWILIO_NUMBER);
    assert_eq!(stored["dial_timeout_secs"], 25);
    assert_eq!(stored["enabled"], true);
    assert_eq!(
        stored["screen_calls"], false,
        "screening is off unless asked for"
    );
    assert!(stored["sms_template"]
        .as_str()
        .unwrap()
        .contains("{business_name}"));

    let updated = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": "+14155550199", "business_name": "Joe's", "sms_template": "{business_name} will call you back. Reply STOP to opt out.", "screen_calls": true }),
        )
        .await;
    assert_eq!(updated.status, 200);
    // Percent-encoded '+' in the path names the same number.
    let fetched = app.get_number("%2B14155559000").await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["forward_to"], "+14155550199");
    assert_eq!(fetched.json()["screen_calls"], true);
    assert_eq!(
        fetched.json()["dial_timeout_secs"],
        20,
        "omitted fields take their defaults"
    );

    let list = app.list_numbers().await;
    assert_eq!(list.json()["numbers"].as_array().unwrap().len(), 1);

    let deleted = app.delete_number(TWILIO_NUMBER).await;
    assert_eq!(deleted.status, 200);
    let gone = app.get_number(TWILIO_NUMBER).await;
    assert_eq!(gone.status, 404);
    let again = app.delete_number(TWILIO_NUMBER).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_template_too_long_for_one_twilio_message_is_refused() {
    let app = spawn_app().await;
    let reply = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({
                "forward_to": FORWARD_TO,
                "business_name": "Joe's",
                "sms_template": "{business_name} ".repeat(17),
            }),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let error = reply.json()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("sms_template:"), "{error}");
    assert!(error.contains("1600") && error.contains("21617"), "{error}");
    assert_eq!(app.get_number(TWILIO_NUMBER).await.status, 404);
}

#[tokio::test]
async fn a_hanging_database_is_a_503_within_the_admin_apis_budget() {
    let app = spawn_app_with(Options {
        database: Database::BehindRelay,
        ..Options::default()
    })
    .await;
    // A connection that is accepted and never answered: bounded by the connect timeout.
    app.hang_next_database_connections(1);
    let reply = app.list_numbers().await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(
        reply.body.contains("no connection within 4 s"),
        "{}",
        reply.body
    );

    // A statement that waits on a lock the test holds: bounded by the request's budget.
    app.db
        .batch_execute("BEGIN; LOCK TABLE business_numbers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let reply = app.list_numbers().await;
    app.db.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(
        reply.body.contains("no answer within 10 s"),
        "{}",
        reply.body
    );
    assert_eq!(app.list_numbers().await.status, 200);
}
