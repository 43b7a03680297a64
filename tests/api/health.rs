//! `/api/health`, unknown routes and missing settings: what an operator sees first after a deploy.
use test_support::*;
#[tokio::test]
async fn health_is_ok_through_workerd() {
    let app = spawn_app().await;
    let reply = app.health().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        serde_json::json!({ "status": "ok", "database": "ok" })
    );
}

/// The whole chain: a webhook through workerd writes a row to Postgres, and the worker's request
/// reaches the Twilio double.
#[tokio::test]
async fn webhook_writes_to_postgres_and_reaches_twilio() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sid = call_sid(1);

    assert_eq!(app.incoming_call(&sid).await.status, 200);
    let row = app.call_row(&sid).await.expect("Phase 1 recorded the call");
    assert_eq!(
        (row.from_number.as_str(), row.to_number.as_str()),
        (CALLER, TWILIO_NUMBER)
    );

    assert_eq!(app.dial_result(&sid, "no-answer").await.status, 200);
    let texts = app.wait_for_sms(1).await;
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].form_value("To"), Some(CALLER));
}

#[tokio::test]
async fn health_is_503_when_the_database_is_unreachable() {
    let app = spawn_app_with(Options {
        database: Database::Unreachable,
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["status"], "error");
    assert!(
        body["database"]
            .as_str()
            .unwrap()
            .starts_with("unreachable"),
        "{body}"
    );
}

#[tokio::test]
async fn incomplete_config_is_a_503_naming_the_setting() {
    let app = spawn_app_with(Options {
        vars: vec![("CRON_SECRET", None)],
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("CRON_SECRET"), "{}", reply.body);
    app.assert_logged("[Config] setting CRON_SECRET: is not set")
        .await;

    // Even then, a caller hears valid TwiML rather than Twilio's application error.
    let voice = app.incoming_call(&call_sid(1)).await;
    assert_eq!(voice.status, 200);
    assert!(voice.body.contains("<Say>"), "{}", voice.body);
}

#[tokio::test]
async fn unknown_routes_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    let missing = app.get("/api/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .contains("/api/nothing-here"));

    let wrong = app
        .request(reqwest::Method::POST, "/api/health", None, None)
        .await;
    assert_eq!(wrong.status, 405);
    let wrong = app.get(VOICE_PATH).await;
    assert_eq!(wrong.status, 405);
    let wrong = app
        .request(
            reqwest::Method::POST,
            "/api/admin/numbers",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(wrong.status, 405);
}
