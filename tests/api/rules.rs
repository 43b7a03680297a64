//! Who gets a text and when: each rule of a number (cooldown, blocked callers, countries, the daily
//! limit, business hours, quiet hours), set through the admin API, seen end to end — the suppressed
//! case settles the call with its outcome and sends no Messages request, the allowed case texts.
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use missed_call_textback::domain::Outcome;
use serde_json::{json, Value};
use test_support::*;

/// The default number with `rules` merged into its definition.
async fn configure(app: &TestApp, rules: Value) {
    let reply = app.configure_default_number_with(rules).await;
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.body);
}

/// A missed call `n` from `from`, through Phase 2, once its background work is done.
async fn missed(app: &TestApp, n: u32, from: &str) -> CallRow {
    missed_call(app, &call_sid(n), from).await
}

async fn missed_call(app: &TestApp, sid: &str, from: &str) -> CallRow {
    assert_eq!(
        app.dial_result_from(sid, from, "no-answer").await.status,
        200
    );
    app.wait_for_call(sid, |row| {
        row.outcome.as_deref() != Some("sending") && row.outcome.is_some()
    })
    .await
}

fn outcome(row: &CallRow) -> &str {
    row.outcome.as_deref().unwrap_or("none")
}

#[tokio::test]
async fn three_calls_at_once_from_one_caller_get_one_text_and_the_cooldown_ends() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sids: Vec<String> = (1..=3).map(call_sid).collect();
    let calls = sids
        .iter()
        .map(|sid| app.dial_result_from(sid, CALLER, "no-answer"));
    for reply in futures::future::join_all(calls).await {
        assert_eq!(reply.status, 200);
    }
    let mut outcomes = Vec::new();
    for sid in &sids {
        let row = app.wait_for_call(sid, |row| row.processed).await;
        outcomes.push(outcome(&row).to_string());
    }
    outcomes.sort();
    assert_eq!(outcomes, ["cooldown", "cooldown", "texted"]);
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1, "exactly one text");

    // Eleven hours later the caller is still in the 12-hour cooldown; thirteen hours later not.
    app.pass_time(11 * 3600).await;
    assert_eq!(outcome(&missed(&app, 4, CALLER).await), "cooldown");
    app.pass_time(2 * 3600).await;
    assert_eq!(outcome(&missed(&app, 5, CALLER).await), "texted");
    assert_eq!(app.twilio.messages_to(CALLER).len(), 2);
}

#[tokio::test]
async fn a_cooldown_of_zero_texts_every_missed_call() {
    let app = spawn_app().await;
    configure(&app, json!({ "cooldown_hours": 0 })).await;
    for n in 1..=2 {
        assert_eq!(outcome(&missed(&app, n, CALLER).await), "texted");
    }
    assert_eq!(app.twilio.messages_to(CALLER).len(), 2);
}

#[tokio::test]
async fn blocked_callers_and_callers_from_other_countries_are_not_texted() {
    let app = spawn_app().await;
    let uk = "+447700900123";
    let blocked = caller(7);
    configure(&app, json!({ "blocked_callers": [blocked] })).await;
    assert_eq!(
        outcome(&missed(&app, 1, &blocked).await),
        Outcome::Blocked.as_str()
    );
    assert_eq!(
        outcome(&missed(&app, 2, uk).await),
        Outcome::CountryNotAllowed.as_str()
    );
    assert_eq!(outcome(&missed(&app, 3, &caller(8)).await), "texted");
    assert!(app.twilio.messages_to(&blocked).is_empty());
    assert!(app.twilio.messages_to(uk).is_empty());
    assert_eq!(
        app.sms_requests().len(),
        1,
        "only the allowed caller's text"
    );

    // Allowing the UK texts its callers; the blocked list still holds.
    configure(
        &app,
        json!({ "blocked_callers": [blocked], "allowed_calling_codes": ["1", "+44"] }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 4, uk).await), "texted");
    assert_eq!(app.twilio.messages_to(uk).len(), 1);
    assert_eq!(outcome(&missed(&app, 5, &blocked).await), "blocked");
    app.assert_logged("Not texting *********0123 for").await;
    app.assert_logged(": country_not_allowed").await;

    // Phase 1 marks the blocked caller's forward, and Phase 2 promises them no text.
    let sid = call_sid(6);
    let twiml = app.incoming_call_from(&sid, &blocked).await.body;
    let action = twiml
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a <Dial action>")
        .replace("&amp;", "&");
    let query = format!("?{}", action.split_once('?').unwrap().1);
    assert!(query.contains("notext=1"), "{query}");
    let mut params = call_params_from(&sid, "in-progress", &blocked);
    params.push(("DialCallStatus", "no-answer"));
    let goodbye = app.post_voice(&query, &params).await.body;
    assert!(goodbye.contains("Please call again later"), "{goodbye}");
    assert!(!goodbye.contains("text"), "{goodbye}");
}

#[tokio::test]
async fn the_daily_limit_stops_texts_and_alerts_once() {
    let sink = AlertSink::start().await;
    let app = spawn_app_with(Options {
        vars: vec![("ALERT_WEBHOOK_URL", Some(sink.url.clone()))],
        ..Options::default()
    })
    .await;
    configure(&app, json!({ "daily_text_limit": 2 })).await;
    let mut outcomes = Vec::new();
    for n in 1..=4 {
        outcomes.push(outcome(&missed(&app, n, &caller(n)).await).to_string());
    }
    assert_eq!(outcomes, ["texted", "texted", "daily_limit", "daily_limit"]);
    assert_eq!(app.sms_requests().len(), 2);
    let alerts = sink.wait_for(1).await;
    assert_eq!(alerts.len(), 1, "once an hour: {alerts:?}");
    assert!(
        alerts[0].contains("Joe's Plumbing (********9000) reached its daily limit of 2 texts"),
        "{}",
        alerts[0]
    );
    app.assert_logged("[Alert] Missed-call text-back: Joe's Plumbing")
        .await;

    // A caller refused by the limit keeps no cooldown: once the limit allows, they are texted.
    configure(&app, json!({ "daily_text_limit": 5 })).await;
    assert_eq!(outcome(&missed(&app, 5, &caller(3)).await), "texted");
}

/// The three-letter day `days` after today in UTC, and its English name.
fn utc_day(days: i64) -> (&'static str, &'static str) {
    let date = Timestamp::now()
        .to_zoned_datetime(TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    let names = [
        ("mon", "Monday"),
        ("tue", "Tuesday"),
        ("wed", "Wednesday"),
        ("thu", "Thursday"),
        ("fri", "Friday"),
        ("sat", "Saturday"),
        ("sun", "Sunday"),
    ];
    let weekday: Weekday = date.weekday();
    names[weekday.to_monday_zero_offset() as usize]
}

#[tokio::test]
async fn outside_business_hours_the_after_hours_text_says_when_we_open() {
    let app = spawn_app().await;
    // Open only two days from now (UTC): whatever the hour, the business is closed now.
    let (day, name) = utc_day(2);
    configure(
        &app,
        json!({
            "timezone": "UTC",
            "business_hours": { day: "09:00-17:00" },
            "after_hours_template": "{business_name} is closed. We open {next_open}.",
        }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 1, CALLER).await), "texted");
    let body = app.twilio.messages_to(CALLER)[0]
        .form_value("Body")
        .unwrap()
        .to_string();
    // Past midnight between the two clocks it is "tomorrow".
    let expected = [
        format!("Joe's Plumbing is closed. We open {name} at 9:00 AM. Reply STOP to opt out."),
        "Joe's Plumbing is closed. We open tomorrow at 9:00 AM. Reply STOP to opt out.".into(),
    ];
    assert!(expected.contains(&body), "{body}");

    // Open every day around the clock: the usual text.
    let always: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!("00:00-24:00")))
        .collect();
    configure(
        &app,
        json!({
            "timezone": "UTC",
            "business_hours": always,
            "after_hours_template": "Closed, we open {next_open}.",
        }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 2, &caller(2)).await), "texted");
    let usual = app.twilio.messages_to(&caller(2))[0]
        .form_value("Body")
        .unwrap()
        .to_string();
    assert_eq!(usual, default_text());
}

/// Quiet hours from an hour ago to an hour from now, in UTC.
fn quiet_now() -> String {
    let now = Timestamp::now().to_zoned_datetime(TimeZone::UTC);
    let hour = now.hour() as i64;
    format!("{:02}:00-{:02}:00", (hour + 23) % 24, (hour + 2) % 24)
}

#[tokio::test]
async fn quiet_hours_defer_the_text_to_their_end_and_send_it_once() {
    let app = spawn_app().await;
    configure(
        &app,
        json!({ "timezone": "UTC", "quiet_hours": quiet_now() }),
    )
    .await;
    let sid = call_sid(1);
    let row = missed_call(&app, &sid, CALLER).await;
    assert_eq!(outcome(&row), "owed", "{row:?}");
    assert!(row.has_next_attempt && !row.processed);
    assert!(app.sms_requests().is_empty(), "nothing in quiet hours");
    // The poll before the end of quiet hours leaves it waiting.
    app.run_poll().await;
    assert!(app.sms_requests().is_empty());

    // Three hours later quiet hours are over: the poll sends it, once, though the call is now
    // older than the poll's usual age limit would allow an undecided call.
    app.pass_time(3 * 3600).await;
    let summary = app.run_poll().await;
    assert_eq!(summary.texted, 1, "{summary:?}");
    app.run_poll().await;
    assert_eq!(app.wait_for_sms(1).await.len(), 1);
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(
        (outcome(&row), row.processed_by.as_deref()),
        ("texted", Some("poll"))
    );
}

#[tokio::test]
async fn quiet_hours_can_skip_the_text() {
    let app = spawn_app().await;
    configure(
        &app,
        json!({ "timezone": "UTC", "quiet_hours": quiet_now(), "quiet_hours_action": "skip" }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 1, CALLER).await), "quiet_hours");
    app.pass_time(3 * 3600).await;
    app.run_poll().await;
    assert!(app.sms_requests().is_empty());
}

#[tokio::test]
async fn the_rules_are_validated_with_the_field_named() {
    let app = spawn_app().await;
    for (rules, expected) in [
        (
            json!({ "cooldown_hours": 169 }),
            "cooldown_hours: 169 is outside 0..=168",
        ),
        (
            json!({ "blocked_callers": ["555"] }),
            "blocked_callers: \"555\" is not an E.164",
        ),
        (
            json!({ "allowed_calling_codes": ["999"] }),
            "allowed_calling_codes: \"999\" is not a country calling code",
        ),
        (
            json!({ "allowed_calling_codes": [] }),
            "allowed_calling_codes: must name at least one",
        ),
        (
            json!({ "timezone": "Mars/Base" }),
            "timezone: \"Mars/Base\" is not an IANA time zone",
        ),
        (
            json!({ "business_hours": { "mon": "17:00-09:00" } }),
            "business_hours: mon: \"17:00-09:00\" must end after it starts",
        ),
        (
            json!({ "business_hours": { "monday": "09:00-17:00" } }),
            "business_hours: \"monday\" is not a day",
        ),
        (
            json!({ "quiet_hours": "late" }),
            "quiet_hours: \"late\" is not a range",
        ),
        (
            json!({ "quiet_hours_action": "later" }),
            "quiet_hours_action: must be \"defer\" or \"skip\"",
        ),
        (
            json!({ "after_hours_template": "Open {when}" }),
            "after_hours_template: unknown placeholder {when}",
        ),
        (
            json!({ "sms_template": "Open {next_open}" }),
            "sms_template: unknown placeholder {next_open}",
        ),
    ] {
        let mut body = json!({ "forward_to": FORWARD_TO, "business_name": "Joe's" });
        for (key, value) in rules.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = app.configure_number(TWILIO_NUMBER, body).await;
        assert_eq!(reply.status, 400, "{rules}: {}", reply.body);
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(error.starts_with(expected), "{rules}: {error}");
    }
    // Defaults, and settings written back canonically.
    configure(
        &app,
        json!({ "timezone": "america/new_york", "business_hours": { "fri": "13:00-17:00, 09:00-12:00" } }),
    )
    .await;
    let number = app.get_number(TWILIO_NUMBER).await.json();
    assert_eq!(number["cooldown_hours"], 12);
    assert_eq!(number["daily_text_limit"], 200);
    assert_eq!(number["allowed_calling_codes"], json!(["1"]));
    assert_eq!(number["timezone"], "America/New_York");
    assert_eq!(
        number["business_hours"],
        json!({ "fri": "09:00-12:00,13:00-17:00" })
    );
    assert_eq!(number["quiet_hours_action"], "defer");
    assert_eq!(number["skip_landlines"], false);
}

#[tokio::test]
async fn the_owner_hears_of_each_missed_call_and_why_it_was_or_was_not_texted() {
    let app = spawn_app().await;
    let owner = "+14155550111";
    configure(
        &app,
        json!({ "notify_owner": true, "notify_to": owner, "blocked_callers": [caller(9)] }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 1, CALLER).await), "texted");
    assert_eq!(outcome(&missed(&app, 2, CALLER).await), "cooldown");
    assert_eq!(outcome(&missed(&app, 3, &caller(9)).await), "blocked");
    let notices: Vec<String> = app
        .wait_for_texts_to(owner, 3)
        .await
        .iter()
        .map(|sms| sms.form_value("Body").unwrap().to_string())
        .collect();
    assert_eq!(
        notices,
        [
            format!("Missed call from {CALLER} — we texted them."),
            format!(
                "Missed call from {CALLER} — not texted: we texted them within the last 12 hours."
            ),
            format!(
                "Missed call from {} — not texted: the number is on your blocked list.",
                caller(9)
            ),
        ]
    );
    // The caller got exactly their one text; the heads-ups went to the owner only.
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
    assert_eq!(app.sms_requests().len(), 4);
    // A repeated callback gives no second heads-up.
    let sid = call_sid(4);
    missed_call(&app, &sid, &caller(4)).await;
    assert_eq!(
        app.dial_result_from(&sid, &caller(4), "no-answer")
            .await
            .status,
        200
    );
    assert_eq!(app.wait_for_texts_to(owner, 5).await.len(), 4);

    // Off: no heads-up.
    configure(&app, json!({ "notify_to": owner })).await;
    missed(&app, 5, &caller(5)).await;
    assert_eq!(app.wait_for_texts_to(owner, 5).await.len(), 4);
}

#[tokio::test]
async fn a_deferred_text_is_announced_to_the_owner_with_its_hour() {
    let app = spawn_app().await;
    let quiet = quiet_now();
    let ends = &quiet[6..];
    configure(
        &app,
        json!({ "timezone": "UTC", "quiet_hours": quiet, "notify_owner": true }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 1, CALLER).await), "owed");
    let hour: u32 = ends[..2].parse().unwrap();
    let said = format!(
        "{}:00 {}",
        match hour % 12 {
            0 => 12,
            h => h,
        },
        if hour < 12 { "AM" } else { "PM" }
    );
    let notice = app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert_eq!(
        notice[0].form_value("Body"),
        Some(
            format!("Missed call from {CALLER} — we will text them when quiet hours end ({said}).")
                .as_str()
        )
    );
    // When the text goes out at the end of quiet hours, the owner is not told a second time.
    app.pass_time(3 * 3600).await;
    assert_eq!(app.run_poll().await.texted, 1);
    assert_eq!(app.wait_for_texts_to(FORWARD_TO, 2).await.len(), 1);
}

#[tokio::test]
async fn landlines_are_skipped_by_one_cached_lookup_and_a_failed_lookup_texts_anyway() {
    let app = spawn_app().await;
    configure(&app, json!({ "skip_landlines": true })).await;
    let (landline, mobile, unknown) = (caller(1), caller(2), caller(3));
    app.twilio.set_line_type(&landline, "landline");
    app.twilio.script_lookup(
        &unknown,
        LookupScript::Error {
            status: 500,
            code: 20500,
        },
    );

    assert_eq!(outcome(&missed(&app, 1, &landline).await), "landline");
    assert_eq!(outcome(&missed(&app, 2, &landline).await), "landline");
    assert_eq!(
        app.twilio.lookups_of(&landline).len(),
        1,
        "the second call is answered from the cache"
    );
    assert!(app.twilio.messages_to(&landline).is_empty());
    assert_eq!(outcome(&missed(&app, 3, &mobile).await), "texted");
    assert_eq!(
        outcome(&missed(&app, 4, &unknown).await),
        "texted",
        "fails open"
    );
    assert_eq!(app.twilio.lookups_of(&unknown).len(), 1);

    // The paid question comes last: a caller the daily limit refuses costs no Lookup.
    configure(
        &app,
        json!({ "skip_landlines": true, "daily_text_limit": 0 }),
    )
    .await;
    assert_eq!(outcome(&missed(&app, 7, &caller(7)).await), "daily_limit");
    assert!(app.twilio.lookups_of(&caller(7)).is_empty());

    // Without the setting nobody is looked up, and a landline is texted like any caller.
    configure(&app, json!({})).await;
    assert_eq!(outcome(&missed(&app, 5, &caller(5)).await), "texted");
    app.twilio.set_line_type(&caller(6), "landline");
    assert_eq!(outcome(&missed(&app, 6, &caller(6)).await), "texted");
    assert!(app.twilio.lookups_of(&caller(6)).is_empty());
}
