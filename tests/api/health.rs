//! `/api/health`, unknown routes and missing settings: what an operator sees first after a deploy.
use missed_call_textback::domain::Outcome;
use test_support::*;
#[tokio::test]
async fn health_is_ok_through_workerd() {
    let app = spawn_app().await;
    let reply = app.health().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "status": "ok", "database": "ok", "settings": "ok", "last_poll_at": null, "cron": "ok"
        })
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
async fn health_is_503_when_the_database_is_unreachable_and_keeps_the_details_in_the_log() {
    let app = spawn_app_with(Options {
        database: Database::Unreachable,
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    // Public: no host, port, user or server message.
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "status": "error", "database": "unreachable", "settings": "ok", "last_poll_at": null,
            "cron": "unknown"
        })
    );
    app.assert_logged("[Health] database unreachable: ").await;
}

#[tokio::test]
async fn a_missing_cron_secret_keeps_calls_forwarding_and_health_names_it() {
    let app = spawn_app_with(Options {
        vars: vec![("CRON_SECRET", None)],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    let voice = app.incoming_call(&call_sid(1)).await;
    assert_eq!(voice.status, 200);
    assert!(voice.body.contains("<Dial"), "{}", voice.body);
    app.assert_logged("[Config] WARNING: running on defaults for broken settings: setting CRON_SECRET: is not set")
        .await;

    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.json()["settings"],
        serde_json::json!(["setting CRON_SECRET: is not set"])
    );
    let cron = app.request_poll().await;
    assert_eq!(cron.status, 503, "{}", cron.body);
    assert!(cron.body.contains("CRON_SECRET"), "{}", cron.body);
}

#[tokio::test]
async fn a_typo_in_polling_only_keeps_the_fast_path_texting() {
    let app = spawn_app_with(Options {
        vars: vec![("POLLING_ONLY", Some("ture".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    let sid = call_sid(1);
    assert!(app.incoming_call(&sid).await.body.contains("<Dial"));
    app.dial_result(&sid, "no-answer").await;
    app.wait_for_outcome(&sid, Outcome::Texted).await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    assert!(
        reply.json()["settings"][0]
            .as_str()
            .unwrap()
            .starts_with("setting POLLING_ONLY: \"ture\" is not true or false"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn missing_voice_settings_still_answer_twiml() {
    let app = spawn_app_with(Options {
        vars: vec![("TWILIO_AUTH_TOKEN", None)],
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("TWILIO_AUTH_TOKEN"), "{}", reply.body);
    app.assert_logged("[Config] setting TWILIO_AUTH_TOKEN: is not set")
        .await;
    // Without the auth token the signature cannot be checked: valid TwiML, not Twilio's error.
    let voice = app.incoming_call(&call_sid(1)).await;
    assert_eq!(voice.status, 200);
    assert!(voice.body.contains("<Say>"), "{}", voice.body);
}

#[tokio::test]
async fn an_app_url_with_a_path_is_refused_by_name() {
    let app = spawn_app_with(Options {
        vars: vec![("APP_URL", Some("https://calls.example.com/textback".into()))],
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    let error = reply.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("setting APP_URL") && error.contains("has a path"),
        "{error}"
    );
}

#[tokio::test]
async fn a_max_call_age_shorter_than_a_dial_is_refused_by_name() {
    let app = spawn_app_with(Options {
        vars: vec![("MAX_CALL_AGE_SECS", Some("300".into()))],
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503);
    let problem = reply.json()["settings"][0].as_str().unwrap().to_string();
    assert!(
        problem.starts_with("setting MAX_CALL_AGE_SECS: 300 s would expire calls"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_database_url_works_without_hyperdrive() {
    let app = spawn_app_with(Options {
        hyperdrive: false,
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    app.configure_default_number().await;
    let sid = call_sid(1);
    assert!(app.incoming_call(&sid).await.body.contains("<Dial"));
    assert!(app.call_row(&sid).await.is_some());
}

#[tokio::test]
async fn neons_default_string_without_hyperdrive_is_a_503_naming_channel_binding() {
    let app = spawn_app_with(Options {
        hyperdrive: false,
        vars: vec![(
            "DATABASE_URL",
            Some("postgresql://app:s3cret@127.0.0.1:9/neondb?sslmode=require&channel_binding=require".into()),
        )],
        ..Options::default()
    })
    .await;
    let reply = app.health().await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["database"], "misconfigured");
    let problem = body["settings"][0].as_str().unwrap();
    assert!(
        problem.starts_with("setting DATABASE_URL: channel_binding=require"),
        "{problem}"
    );
    let admin = app.list_numbers().await;
    assert_eq!(admin.status, 503, "{}", admin.body);
    assert!(
        admin.body.contains("channel_binding=require"),
        "{}",
        admin.body
    );
    // wrangler's own table of the test's [vars] names it; no line of the worker's may.
    let leaks: Vec<String> = app
        .worker_log()
        .lines()
        .filter(|line| line.contains("s3cret") && !line.contains("Environment Variable"))
        .map(String::from)
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
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

/// The design document's "alert on missing cron executions for 5+ minutes", for any uptime monitor:
/// health names the last finished poll run, and turns 503 naming the cron when none finished within
/// CRON_ALARM_SECS while there are calls. Time passes by moving the runs' timestamps.
#[tokio::test]
async fn health_shows_the_last_poll_and_turns_503_when_the_cron_goes_quiet() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    assert_eq!(app.incoming_call(&call_sid(1)).await.status, 200);
    let fresh = app.health().await;
    assert_eq!(
        fresh.status, 200,
        "a call seconds old is no alarm: {}",
        fresh.body
    );
    assert_eq!(fresh.json()["last_poll_at"], serde_json::Value::Null);

    app.run_poll().await;
    let polled = app.health().await.json();
    let last = polled["last_poll_at"].as_str().expect("an RFC 3339 time");
    assert_eq!(last.len(), "2026-11-25T19:35:32Z".len(), "{last}");
    assert!(last.ends_with('Z') && last.as_bytes()[10] == b'T', "{last}");
    assert_eq!(polled["cron"], "ok");

    app.age_poll_runs(290).await;
    assert_eq!(app.health().await.status, 200, "inside the 300 s alarm");
    app.age_poll_runs(20).await;
    let quiet = app.health().await;
    assert_eq!(quiet.status, 503, "{}", quiet.body);
    let reason = quiet.json()["cron"].as_str().unwrap().to_string();
    assert!(
        reason.contains("the cron has not finished a poll run for 5 minutes"),
        "{reason}"
    );
    assert_eq!(quiet.json()["database"], "ok");
    app.assert_logged("[Health] the cron has not finished a poll run")
        .await;

    app.run_poll().await;
    assert_eq!(app.health().await.status, 200, "a new run ends the alarm");
}

#[tokio::test]
async fn a_deployment_whose_cron_never_ran_alarms_once_its_first_call_is_old() {
    let app = spawn_app_with(Options {
        vars: vec![("CRON_ALARM_SECS", Some("600".into()))],
        ..Options::default()
    })
    .await;
    app.configure_default_number().await;
    assert_eq!(
        app.health().await.status,
        200,
        "no calls: nothing to poll for"
    );
    assert_eq!(app.incoming_call(&call_sid(1)).await.status, 200);
    app.pass_time(590).await;
    assert_eq!(app.health().await.status, 200, "CRON_ALARM_SECS is 600");
    app.pass_time(20).await;
    let quiet = app.health().await;
    assert_eq!(quiet.status, 503, "{}", quiet.body);
    let reason = quiet.json()["cron"].as_str().unwrap().to_string();
    assert!(reason.contains("never finished a poll run"), "{reason}");
    assert!(reason.contains("calls to watch for 10 minutes"), "{reason}");
    assert!(reason.contains("CRON_ALARM_SECS is 600"), "{reason}");
}
