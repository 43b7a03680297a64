//! `GET /api/stats`: the bearer, the period, and the KPIs after a mix of real calls, field by field.
use serde_json::{json, Value};
use test_support::*;

#[tokio::test]
async fn stats_need_the_admin_token() {
    let app = spawn_app().await;
    for bearer in [None, Some("wrong"), Some("")] {
        let reply = app.stats_request("", bearer).await;
        assert_eq!(reply.status, 401, "{bearer:?}: {}", reply.body);
    }
    assert_eq!(app.stats_request("", Some(ADMIN_TOKEN)).await.status, 200);
}

#[tokio::test]
async fn stats_and_the_dashboard_are_closed_without_an_admin_token_setting() {
    let app = spawn_app_with(Options {
        vars: vec![("ADMIN_TOKEN", None)],
        ..Options::default()
    })
    .await;
    let reply = app.stats_request("", Some(ADMIN_TOKEN)).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.body.contains("ADMIN_TOKEN"), "{}", reply.body);
    let page = app.dashboard("").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("ADMIN_TOKEN"), "{}", page.body);
}

#[tokio::test]
async fn days_must_be_a_whole_number_from_1_to_90() {
    let app = spawn_app().await;
    for (query, reason) in [
        ("?days=0", "days: must be 1 to 90, not 0"),
        ("?days=91", "days: must be 1 to 90, not 91"),
        ("?days=7.5", "days: \"7.5\" is not a whole number of days"),
        ("?days=", "days: \"\" is not a whole number of days"),
        ("?days=-1", "days: \"-1\" is not a whole number of days"),
    ] {
        let reply = app.stats_request(query, Some(ADMIN_TOKEN)).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.json(), json!({ "error": reason }), "{query}");
    }
    assert_eq!(app.stats(90).await["days"], 90);
    let default = app.stats_request("", Some(ADMIN_TOKEN)).await.json();
    assert_eq!(default["days"], 7);
    assert_eq!(default["by_day"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn a_deployment_without_calls_has_no_rates_and_empty_days() {
    let app = spawn_app().await;
    let stats = app.stats(1).await;
    for zero in [
        "calls",
        "answered",
        "missed",
        "texted",
        "texted_by_poll",
        "pending",
    ] {
        assert_eq!(stats[zero], 0, "{zero}");
    }
    for null in ["callback_success_rate", "fallback_rate"] {
        assert_eq!(stats[null], Value::Null, "{null}");
    }
    assert_eq!(
        stats["cron"],
        json!({"last_poll_at": null, "runs": 0, "uptime": null})
    );
    let days = stats["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 2, "yesterday's part of the window and today");
    assert!(days.iter().all(|d| d["missed"] == 0 && d["texted"] == 0));
    assert_eq!(stats["by_number"], json!([]));
}

/// The day (`YYYY-MM-DD`, UTC) each of `calls` came in on, as the database has it.
async fn days_of(app: &TestApp, calls: &[&MixedCall]) -> Vec<String> {
    let mut days = Vec::new();
    for call in calls {
        let row = app
            .db
            .query_one(
                "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                 FROM active_calls WHERE call_sid = $1",
                &[&call.sid],
            )
            .await
            .unwrap();
        days.push(row.get(0));
    }
    days
}

#[tokio::test]
async fn stats_after_a_scripted_mix_of_calls_match_the_expected_counts_exactly() {
    let app = spawn_app().await;
    let mix = app.play_call_mix().await;
    let stats = app.stats(7).await;
    let table_bytes: i64 = app
        .db
        .query_one("SELECT pg_total_relation_size('active_calls')", &[])
        .await
        .unwrap()
        .get(0);
    let last_poll_at: String = app
        .db
        .query_one(
            "SELECT to_char(max(finished_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM poll_runs",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    let joes = json!({
        "number": TWILIO_NUMBER,
        "business_name": "Joe's Plumbing",
        "calls": 6, "answered": 1, "missed": 5, "texted": 4,
        "texted_by_callback": 3, "texted_by_status_callback": 1, "texted_by_poll": 1,
        "failed": 0, "suppressed": {"no_caller_id": 1}, "pending": 0, "dedup_prevented": 1,
        "delivery": {"delivered": 1, "undelivered": 1, "failed": 0, "pending": 2, "rate": 0.5,
                     "unreachable": 0, "carrier_filtered": 1},
    });
    let anns = json!({
        "number": OTHER_NUMBER,
        "business_name": OTHER_BUSINESS,
        "calls": 1, "answered": 0, "missed": 0, "texted": 0,
        "texted_by_callback": 0, "texted_by_status_callback": 0, "texted_by_poll": 0,
        "failed": 0, "suppressed": {}, "pending": 1, "dedup_prevented": 0,
        "delivery": {"delivered": 0, "undelivered": 0, "failed": 0, "pending": 0, "rate": null,
                     "unreachable": 0, "carrier_filtered": 0},
    });
    let expected = json!({
        "days": 7,
        "as_of": stats["as_of"],
        "calls": 7, "answered": 1, "missed": 5, "texted": 4,
        "texted_by_callback": 3, "texted_by_status_callback": 1, "texted_by_poll": 1,
        "failed": 0, "suppressed": {"no_caller_id": 1}, "pending": 1, "dedup_prevented": 1,
        "callback_success_rate": 0.75,
        "fallback_rate": 0.25,
        // Texted 2, 3 and 4 s after arrival by the fast path, 75 s by the poll.
        "sms_latency_secs": {"callback": {"p50": 3.0, "p95": 3.9},
                             "poll": {"p50": 75.0, "p95": 75.0}},
        "delivery": joes["delivery"],
        // One run, 2 minutes ago; the oldest call in the window came in 4 hours ago.
        "cron": {"last_poll_at": last_poll_at, "runs": 1, "uptime": 1.0 / 240.0},
        "table_bytes": table_bytes,
        "by_number": [joes, anns],
        "by_day": stats["by_day"],
    });
    assert_eq!(stats, expected);
    assert_eq!(last_poll_at.len(), "2026-11-25T19:35:32Z".len());
    assert!(table_bytes > 0);

    // Every UTC day of the window, oldest first and ending today, each counting the calls that
    // came in on it.
    let by_day = stats["by_day"].as_array().unwrap();
    assert_eq!(by_day.len(), 8);
    let listed: Vec<&str> = by_day.iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert!(
        listed.windows(2).all(|pair| pair[0] < pair[1]),
        "{listed:?}"
    );
    assert_eq!(listed[7], &stats["as_of"].as_str().unwrap()[..10]);
    let missed = days_of(
        &app,
        &[
            &mix.texted_by_callback,
            &mix.texted_by_status_callback,
            &mix.texted_by_poll,
            &mix.withheld,
            &mix.repeated,
        ],
    )
    .await;
    let texted = days_of(
        &app,
        &[
            &mix.texted_by_callback,
            &mix.texted_by_status_callback,
            &mix.texted_by_poll,
            &mix.repeated,
        ],
    )
    .await;
    for day in by_day {
        let on = |days: &[String]| days.iter().filter(|d| **d == day["day"]).count();
        assert_eq!(day["missed"], on(&missed), "{day}");
        assert_eq!(day["texted"], on(&texted), "{day}");
    }

    // Thirty days reach the call answered ten days ago.
    let month = app.stats(30).await;
    assert_eq!(
        (month["calls"].clone(), month["answered"].clone()),
        (json!(8), json!(2))
    );
    assert_eq!(month["by_number"][0]["calls"], 7);
    assert_eq!(month["by_day"].as_array().unwrap().len(), 31);
    let old_day = &days_of(&app, &[&mix.old_answered]).await[0];
    assert!(month["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["day"] == old_day.as_str() && d["missed"] == 0));
}
