//! The double's wire behaviour, checked over real HTTP with reqwest the way the worker meets it:
//! auth, Twilio's JSON shapes and error codes, scripted failures (including connections closed
//! without an answer), latency, and the signed webhooks it posts to a small local receiver.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use twilio_double::{signature, CallFault, LookupScript, MessageScript, TwilioDouble};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "secret-token";
const CALLER: &str = "+14155550123";
const OURS: &str = "+14155559000";

async fn double() -> TwilioDouble {
    TwilioDouble::start(0, ACCOUNT, TOKEN).await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn url(double: &TwilioDouble, resource: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/{resource}",
        double.base_url()
    )
}

fn send(double: &TwilioDouble, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    client()
        .post(url(double, "Messages.json"))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(form)
}

async fn get_json(double: &TwilioDouble, resource: &str) -> (u16, serde_json::Value) {
    let reply = client()
        .get(url(double, resource))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap())
}

async fn status_and_json(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    assert!(reply.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    (status, reply.json().await.unwrap())
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

fn assert_twilio_error(body: &serde_json::Value, status: u16, code: u32) {
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401_20003() {
    let double = double().await;
    let form = [("To", CALLER), ("From", OURS), ("Body", "hi")];
    let none = client().post(url(&double, "Messages.json")).form(&form);
    let (status, body) = status_and_json(none).await;
    assert_eq!(status, 401);
    assert_twilio_error(&body, 401, 20003);
    let wrong = client()
        .post(url(&double, "Messages.json"))
        .basic_auth(ACCOUNT, Some("nope"))
        .form(&form);
    assert_eq!(status_and_json(wrong).await.0, 401);
    let other_account = client()
        .post(format!(
            "{}/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json",
            double.base_url()
        ))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&form);
    assert_eq!(status_and_json(other_account).await.0, 401);
    assert!(
        double.messages_to(CALLER).len() == 3,
        "every attempt is recorded"
    );
    assert_eq!(
        get_json(&double, "Messages.json").await.1["messages"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn a_sent_message_is_queued_and_matches_date_sent_filters_only_once_sent() {
    let double = double().await;
    let (status, message) = status_and_json(send(
        &double,
        &[("To", CALLER), ("From", OURS), ("Body", "hi")],
    ))
    .await;
    assert_eq!(status, 201, "{message}");
    let sid = message["sid"].as_str().unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(message["status"], "queued");
    assert_eq!(message["date_sent"], serde_json::Value::Null);
    assert_eq!(message["to"], CALLER);
    assert_eq!(message["from"], OURS);
    assert_eq!(message["body"], "hi");
    let created = message["date_created"].as_str().unwrap();
    assert!(created.ends_with(" +0000"), "{created}");
    time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc2822).unwrap();

    let by_numbers = serde_urlencoded::to_string([("To", CALLER), ("From", OURS)]).unwrap();
    let (status, page) = get_json(&double, &format!("Messages.json?{by_numbers}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"][0]["sid"], sid);
    assert_eq!(page["messages"][0]["date_sent"], serde_json::Value::Null);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    for key in ["first_page_uri", "uri", "page", "page_size", "start", "end"] {
        assert!(!page[key].is_null(), "{key} missing: {page}");
    }
    assert_eq!(page["next_page_uri"], serde_json::Value::Null);

    let today = today();
    let sent_filters = [
        ("DateSent", today.as_str()),
        ("DateSent>", today.as_str()),
        ("DateSent<", today.as_str()),
    ];
    let listed = |filter: (&'static str, &str)| {
        let query = serde_urlencoded::to_string([("To", CALLER), filter]).unwrap();
        let double = double.clone();
        async move {
            let (_, page) = get_json(&double, &format!("Messages.json?{query}")).await;
            page["messages"].as_array().unwrap().len()
        }
    };
    for filter in sent_filters {
        assert_eq!(
            listed(filter).await,
            0,
            "queued: no date_sent for {filter:?}"
        );
    }
    double.set_message_status(sid, "sent", None);
    for filter in sent_filters {
        assert_eq!(listed(filter).await, 1, "sent today: {filter:?}");
    }
    assert_eq!(listed(("DateSent>", "2999-01-01")).await, 0);
    assert_eq!(listed(("DateSent<", "2000-01-01")).await, 0);
    let other = serde_urlencoded::to_string([("To", "+14155550999")]).unwrap();
    let (_, page) = get_json(&double, &format!("Messages.json?{other}")).await;
    assert_eq!(page["messages"], serde_json::json!([]));

    let sent = double.messages_to(CALLER);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].is_message_send());
    assert_eq!(sent[0].form_value("Body"), Some("hi"));
    let expected = format!("Basic {}", base64_of(&format!("{ACCOUNT}:{TOKEN}")));
    assert_eq!(sent[0].authorization.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn messages_are_listed_newest_created_first_a_page_at_a_time() {
    let double = double().await;
    let oldest = double.seed_message(CALLER, OURS, "oldest");
    let older = double.seed_message(CALLER, OURS, "older");
    let newest = double.seed_message(CALLER, OURS, "newest");
    double.seed_message("+14155550999", OURS, "someone else");
    double.backdate_message(&oldest, Duration::from_secs(3600));
    double.backdate_message(&older, Duration::from_secs(60));
    let query = serde_urlencoded::to_string([("To", CALLER), ("PageSize", "2")]).unwrap();
    let (_, first) = get_json(&double, &format!("Messages.json?{query}")).await;
    let sids = |page: &serde_json::Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["sid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(sids(&first), [newest.clone(), older.clone()]);
    let next = first["next_page_uri"].as_str().expect("a second page");
    let resource = next.split_once("/Messages.json").unwrap().1;
    let (_, second) = get_json(&double, &format!("Messages.json{resource}")).await;
    assert_eq!(sids(&second), std::slice::from_ref(&oldest));
    assert_eq!(second["next_page_uri"], serde_json::Value::Null);
    assert_eq!(second["previous_page_uri"], first["uri"]);
    let created = |page: &serde_json::Value, index: usize| {
        let date = page["messages"][index]["date_created"].as_str().unwrap();
        time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc2822).unwrap()
    };
    let backdated = created(&first, 0) - created(&second, 0);
    assert!(backdated >= time::Duration::seconds(3599), "{backdated}");
    assert_eq!(double.message_sids_to(CALLER), [oldest, older, newest]);
}

fn base64_of(text: &str) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    STANDARD.encode(text)
}

#[tokio::test]
async fn twilio_validates_the_form() {
    let double = double().await;
    let cases: [(&[(&str, &str)], u32); 4] = [
        (&[("From", OURS), ("Body", "hi")], 21604),
        (&[("To", CALLER), ("Body", "hi")], 21603),
        (&[("To", CALLER), ("From", OURS)], 21602),
        (
            &[("To", "+0123456789"), ("From", OURS), ("Body", "hi")],
            21211,
        ),
    ];
    for (form, code) in cases {
        let (status, body) = status_and_json(send(&double, form)).await;
        assert_eq!(status, 400, "{form:?}");
        assert_twilio_error(&body, 400, code);
    }
}

#[tokio::test]
async fn unknown_resources_are_404_and_wrong_methods_405() {
    let double = double().await;
    let (status, body) = get_json(&double, "Recordings.json").await;
    assert_eq!(status, 404);
    assert_twilio_error(&body, 404, 20404);
    let (status, body) =
        status_and_json(client().get(format!("{}/somewhere", double.base_url()))).await;
    assert_eq!(status, 404);
    assert_twilio_error(&body, 404, 20404);
    let delete = client()
        .delete(url(&double, "Messages.json"))
        .basic_auth(ACCOUNT, Some(TOKEN));
    let (status, body) = status_and_json(delete).await;
    assert_eq!(status, 405);
    assert_twilio_error(&body, 405, 20004);
    let post = client()
        .post(url(&double, "Calls.json"))
        .basic_auth(ACCOUNT, Some(TOKEN));
    assert_eq!(status_and_json(post).await.0, 405);
}

#[tokio::test]
async fn calls_answer_what_was_scripted() {
    let double = double().await;
    let parent = "CA0123456789abcdef0123456789abcdef";
    double.script_call(parent, "completed", &["no-answer", "busy"]);
    let (status, call) = get_json(&double, &format!("Calls/{parent}.json")).await;
    assert_eq!(status, 200);
    assert_eq!(call["sid"], parent);
    assert_eq!(call["status"], "completed");
    assert_eq!(call["direction"], "inbound");

    let query = format!("Calls.json?ParentCallSid={parent}");
    let (status, page) = get_json(&double, &query).await;
    assert_eq!(status, 200);
    let legs = page["calls"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[0]["status"], "no-answer");
    assert_eq!(legs[1]["status"], "busy");
    assert_eq!(legs[0]["parent_call_sid"], parent);
    assert_eq!(legs[0]["direction"], "outbound-dial");
    assert_ne!(legs[0]["sid"], legs[1]["sid"]);
    assert_eq!(page["next_page_uri"], serde_json::Value::Null);

    double.fail_lookups(parent, 2);
    assert_eq!(get_json(&double, &query).await.0, 500);
    assert_eq!(
        get_json(&double, &format!("Calls/{parent}.json")).await.0,
        500
    );
    assert_eq!(get_json(&double, &query).await.0, 200);

    let unknown = "CAffffffffffffffffffffffffffffffff";
    let (status, body) = get_json(&double, &format!("Calls/{unknown}.json")).await;
    assert_eq!(status, 404);
    assert_twilio_error(&body, 404, 20404);
    let (_, page) = get_json(&double, &format!("Calls.json?ParentCallSid={unknown}")).await;
    assert_eq!(page["calls"], serde_json::json!([]));

    let lookups = double
        .requests()
        .iter()
        .filter(|r| r.is_call_lookup())
        .count();
    assert_eq!(lookups, 7);
}

#[tokio::test]
async fn the_calls_list_filters_by_start_day_number_and_status_a_page_at_a_time() {
    let double = double().await;
    let day = Duration::from_secs(86_400);
    let sid = |n: u32| format!("CA{n:032x}");
    double.script_inbound_call(
        &sid(1),
        (CALLER, OURS),
        Duration::from_secs(60),
        "completed",
        &["no-answer"],
    );
    double.script_inbound_call(
        &sid(2),
        (CALLER, OURS),
        Duration::from_secs(120),
        "in-progress",
        &["in-progress"],
    );
    double.script_inbound_call(
        &sid(3),
        (CALLER, "+14155559001"),
        Duration::from_secs(180),
        "completed",
        &[],
    );
    double.script_inbound_call(&sid(4), (CALLER, OURS), 3 * day, "completed", &["busy"]);

    let query = serde_urlencoded::to_string([("StartTime>=", today().as_str()), ("PageSize", "2")])
        .unwrap();
    let (status, first) = get_json(&double, &format!("Calls.json?{query}")).await;
    assert_eq!(status, 200);
    let listed = |page: &serde_json::Value| -> Vec<(String, String)> {
        page["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["sid"].as_str().unwrap().to_string(),
                    c["direction"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Newest started first, each inbound call followed by its legs; the call that started 3 days
    // ago is before today, so `StartTime>=` today leaves it out.
    let first_calls = listed(&first);
    assert_eq!(first_calls[0], (sid(1), "inbound".to_string()));
    assert_eq!(first_calls[1].1, "outbound-dial");
    assert_eq!(first["calls"][0]["from"], CALLER);
    assert_eq!(first["calls"][0]["to"], OURS);
    assert_eq!(
        first["calls"][0]["parent_call_sid"],
        serde_json::Value::Null
    );
    assert_eq!(first["calls"][1]["parent_call_sid"], sid(1));
    let started = first["calls"][0]["start_time"].as_str().unwrap();
    time::OffsetDateTime::parse(started, &time::format_description::well_known::Rfc2822).unwrap();
    let mut all = first_calls;
    let mut page = first;
    while let Some(next) = page["next_page_uri"].as_str() {
        let resource = next.split_once("/Calls.json").unwrap().1.to_string();
        page = get_json(&double, &format!("Calls.json{resource}")).await.1;
        all.extend(listed(&page));
    }
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(!all.iter().any(|(s, _)| s == &sid(4)));

    let query = serde_urlencoded::to_string([("To", OURS), ("Status", "completed")]).unwrap();
    let (_, page) = get_json(&double, &format!("Calls.json?{query}")).await;
    assert_eq!(
        listed(&page),
        [
            (sid(1), "inbound".to_string()),
            (sid(4), "inbound".to_string())
        ]
    );
    let query = serde_urlencoded::to_string([("StartTime<=", "1970-01-01")]).unwrap();
    let (_, page) = get_json(&double, &format!("Calls.json?{query}")).await;
    assert_eq!(page["calls"], serde_json::json!([]));
    let requests = double.requests();
    assert_eq!(requests.iter().filter(|r| r.is_calls_list()).count(), 5);
    assert_eq!(requests.iter().filter(|r| r.is_call_lookup()).count(), 0);
}

#[tokio::test]
async fn scripted_errors_come_in_order_then_sends_succeed() {
    let double = double().await;
    let form = [("To", CALLER), ("From", OURS), ("Body", "hi")];
    double.script_message(
        CALLER,
        MessageScript::Error {
            status: 400,
            code: 21610,
        },
    );
    double.script_message(CALLER, MessageScript::ServerError);
    let (status, body) = status_and_json(send(&double, &form)).await;
    assert_eq!(status, 400);
    assert_twilio_error(&body, 400, 21610);
    let (status, body) = status_and_json(send(&double, &form)).await;
    assert_eq!(status, 500);
    assert_eq!(body["status"], 500);
    assert!(body.get("code").is_none());
    assert_eq!(status_and_json(send(&double, &form)).await.0, 201);
}

#[tokio::test]
async fn scripted_errors_carry_twilios_texts_with_the_numbers_in_full() {
    let double = double().await;
    let form = [("To", CALLER), ("From", OURS), ("Body", "hi")];
    let cases = [
        (21211, "The 'To' number +14155550123 is not a valid phone number."),
        (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +14155550123."),
        (21606, "The From phone number +14155559000 is not a valid, SMS-capable inbound phone number or short code for your account."),
        (21610, "The message From/To pair violates a blacklist rule."),
        (21612, "The 'To' phone number: +14155550123, is not currently reachable using the 'From' phone number: +14155559000 via SMS."),
        (21614, "To number: +14155550123, is not a mobile number"),
    ];
    for (code, text) in cases {
        double.script_message(CALLER, MessageScript::Error { status: 400, code });
        let (status, body) = status_and_json(send(&double, &form)).await;
        assert_eq!(status, 400);
        assert_twilio_error(&body, 400, code);
        assert_eq!(body["message"], text);
    }
}

#[tokio::test]
async fn delay_waits_before_accepting() {
    let double = double().await;
    double.script_message(CALLER, MessageScript::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let (status, _) = status_and_json(send(
        &double,
        &[("To", CALLER), ("From", OURS), ("Body", "hi")],
    ))
    .await;
    assert_eq!(status, 201);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

async fn listed_messages(double: &TwilioDouble) -> usize {
    let (_, page) = get_json(double, "Messages.json").await;
    page["messages"].as_array().unwrap().len()
}

#[tokio::test]
async fn drop_closes_the_connection_unanswered_and_creates_nothing() {
    let double = double().await;
    double.script_message(CALLER, MessageScript::Drop);
    let error = send(&double, &[("To", CALLER), ("From", OURS), ("Body", "hi")])
        .send()
        .await
        .expect_err("a dropped connection has no response");
    assert!(!error.is_timeout(), "closed, not hung: {error}");
    assert_eq!(listed_messages(&double).await, 0);
    assert_eq!(
        double.messages_to(CALLER).len(),
        1,
        "the attempt is recorded"
    );
    // The double itself keeps serving.
    let (status, _) = status_and_json(send(
        &double,
        &[("To", CALLER), ("From", OURS), ("Body", "hi")],
    ))
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn accept_then_drop_creates_the_message_but_never_answers() {
    let double = double().await;
    double.script_message(CALLER, MessageScript::AcceptThenDrop);
    let error = send(&double, &[("To", CALLER), ("From", OURS), ("Body", "hi")])
        .send()
        .await
        .expect_err("a dropped connection has no response");
    assert!(!error.is_timeout(), "closed, not hung: {error}");
    assert_eq!(listed_messages(&double).await, 1);
}

#[tokio::test]
async fn accept_unreadable_creates_the_message_and_answers_a_body_cut_short() {
    let double = double().await;
    double.script_message(CALLER, MessageScript::AcceptUnreadable);
    let reply = send(&double, &[("To", CALLER), ("From", OURS), ("Body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 201);
    let body = reply.text().await.unwrap();
    assert!(body.starts_with("{\""), "{body}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "{body}"
    );
    assert_eq!(listed_messages(&double).await, 1);
}

#[tokio::test]
async fn stalls_time_out_with_and_without_the_message_and_every_fault_is_counted() {
    let double = double().await;
    double.script_message(CALLER, MessageScript::Stall);
    double.script_message(CALLER, MessageScript::AcceptThenStall);
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let attempt = || {
        quick
            .post(url(&double, "Messages.json"))
            .basic_auth(ACCOUNT, Some(TOKEN))
            .form(&[("To", CALLER), ("From", OURS), ("Body", "hi")])
            .send()
    };
    assert!(attempt().await.unwrap_err().is_timeout());
    assert_eq!(listed_messages(&double).await, 0, "a stall creates nothing");
    assert!(attempt().await.unwrap_err().is_timeout());
    assert_eq!(listed_messages(&double).await, 1, "created, then stalled");
    assert_eq!(attempt().await.unwrap().status().as_u16(), 201);
    assert_eq!(double.faults_hit(), 2, "the third send met no fault");
    for _ in 0..100 {
        if double.requests_in_flight().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        double.requests_in_flight().len(),
        0,
        "given up by the client, over"
    );
}

#[tokio::test]
async fn call_faults_come_in_order_on_lookups_legs_and_the_calls_list() {
    let double = double().await;
    let parent = "CA0123456789abcdef0123456789abcdef";
    let legs = format!("Calls.json?ParentCallSid={parent}");
    let own = format!("Calls/{parent}.json");
    double.script_call(parent, "completed", &["no-answer"]);
    double.script_call_fault(parent, CallFault::RateLimited);
    double.script_call_fault(parent, CallFault::LegsNotYet);
    double.script_call_fault(parent, CallFault::LegsNotYet);
    let (status, body) = get_json(&double, &legs).await;
    assert_eq!(status, 429);
    assert_twilio_error(&body, 429, 20429);
    let (_, page) = get_json(&double, &legs).await;
    assert_eq!(
        page["calls"],
        serde_json::json!([]),
        "no leg before the dial"
    );
    let (_, call) = get_json(&double, &own).await;
    assert_eq!(call["status"], "in-progress");
    let (_, call) = get_json(&double, &own).await;
    assert_eq!(call["status"], "completed", "the faults are used up");

    // The account's list: its own faults first, then each call's LegsNotYet as it is listed.
    double.script_calls_list_fault(CallFault::ServerError);
    double.script_call_fault(parent, CallFault::LegsNotYet);
    assert_eq!(get_json(&double, "Calls.json").await.0, 500);
    let (_, page) = get_json(&double, "Calls.json").await;
    let listed = page["calls"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!(listed[0]["status"], "in-progress");
    let (_, page) = get_json(&double, "Calls.json").await;
    assert_eq!(page["calls"].as_array().unwrap().len(), 2, "parent and leg");
    // Used up only where the list serves the call: a page past it leaves the fault waiting.
    double.script_call_fault(parent, CallFault::LegsNotYet);
    let (_, page) = get_json(&double, "Calls.json?PageSize=1&Page=3").await;
    assert_eq!(page["calls"], serde_json::json!([]));
    assert_eq!(double.faults_hit(), 5);
    let (_, page) = get_json(&double, "Calls.json").await;
    assert_eq!(page["calls"][0]["status"], "in-progress");

    double.script_call_fault(parent, CallFault::Stall);
    let stalled = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .get(url(&double, &own))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .send()
        .await;
    assert!(stalled.unwrap_err().is_timeout());
    assert_eq!(double.faults_hit(), 7);
}

#[tokio::test]
async fn latency_delays_every_api_request() {
    let double = double().await;
    double.set_latency(Duration::from_millis(200), Duration::from_millis(50));
    for _ in 0..3 {
        let started = Instant::now();
        let _ = get_json(&double, "Messages.json").await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(150), "{took:?}");
    }
    double.set_latency(Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    let _ = get_json(&double, "Messages.json").await;
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn lists_what_it_was_sent() {
    let double = double().await;
    let _ = get_json(&double, "Messages.json?To=%2B14155550123").await;
    let _ = send(&double, &[("To", CALLER), ("From", OURS), ("Body", "hi")])
        .send()
        .await
        .unwrap();
    let listing: serde_json::Value = client()
        .get(format!("{}/__double/requests", double.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = listing["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "{listing}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[0]["query"], serde_json::json!([["To", CALLER]]));
    assert_eq!(requests[1]["method"], "POST");
    assert!(requests[1]["path"]
        .as_str()
        .unwrap()
        .ends_with("/Messages.json"));
    assert!(requests[1]["form"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(["Body", "hi"])));
    assert_eq!(double.requests()[0].query_value("To"), Some(CALLER));
}

/// The form parameters of each webhook a receiver got, in arrival order.
type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// A webhook receiver standing in for the worker: records each POST and checks its signature
/// against the URL it was posted to.
struct Receiver {
    url: String,
    seen: Seen,
}

async fn receiver() -> Receiver {
    use axum::{http::HeaderMap, routing::post, Router};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?kind=test", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let (record, signed_url) = (seen.clone(), url.clone());
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| async move {
            let content_type = headers["content-type"].to_str().unwrap().to_string();
            assert_eq!(content_type, "application/x-www-form-urlencoded");
            let params: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
            let given = headers
                .get("x-twilio-signature")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let valid = given == signature::compute(TOKEN, &signed_url, &params);
            record.lock().unwrap().push(params);
            if valid {
                (axum::http::StatusCode::OK, "<Response/>")
            } else {
                (axum::http::StatusCode::FORBIDDEN, "bad signature")
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, seen }
}

fn value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn post_webhook_signs_like_twilio() {
    let double = double().await;
    let receiver = receiver().await;
    let (status, body) = double
        .post_webhook(&receiver.url, &[("CallSid", "CA1"), ("From", CALLER)])
        .await;
    assert_eq!((status, body.as_str()), (200, "<Response/>"));
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(value(&seen[0], "CallSid"), Some("CA1"));
    assert_eq!(
        double.sign(&receiver.url, &[("From", CALLER), ("CallSid", "CA1")]),
        signature::compute(
            TOKEN,
            &receiver.url,
            &[("CallSid", "CA1"), ("From", CALLER)]
        )
    );
}

#[tokio::test]
async fn status_callbacks_go_to_the_url_the_send_named() {
    let double = double().await;
    let receiver = receiver().await;
    let form = [
        ("To", CALLER),
        ("From", OURS),
        ("Body", "hi"),
        ("StatusCallback", receiver.url.as_str()),
    ];
    let (_, message) = status_and_json(send(&double, &form)).await;
    let sid = message["sid"].as_str().unwrap();

    let (status, _) = double.deliver_status(sid, "delivered", None).await;
    assert_eq!(status, 200);
    let (status, _) = double.deliver_status(sid, "undelivered", Some(30003)).await;
    assert_eq!(status, 200);

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (params, status) in seen.iter().zip(["delivered", "undelivered"]) {
        assert_eq!(value(params, "MessageSid"), Some(sid));
        assert_eq!(value(params, "SmsSid"), Some(sid));
        assert_eq!(value(params, "MessageStatus"), Some(status));
        assert_eq!(value(params, "SmsStatus"), Some(status));
        assert_eq!(value(params, "AccountSid"), Some(ACCOUNT));
        assert_eq!(value(params, "From"), Some(OURS));
        assert_eq!(value(params, "To"), Some(CALLER));
        assert_eq!(value(params, "ApiVersion"), Some("2010-04-01"));
    }
    assert_eq!(value(&seen[0], "ErrorCode"), None);
    assert_eq!(value(&seen[1], "ErrorCode"), Some("30003"));

    let (_, page) = get_json(&double, "Messages.json").await;
    let listed = &page["messages"][0];
    assert_eq!(listed["status"], "undelivered");
    assert_eq!(listed["error_code"], 30003);
    assert!(listed["date_sent"].is_string());
}

#[tokio::test]
async fn inbound_sms_carries_twilios_parameters() {
    let double = double().await;
    let receiver = receiver().await;
    let (status, _) = double
        .deliver_inbound_sms(&receiver.url, CALLER, OURS, "STOP")
        .await;
    assert_eq!(status, 200);
    let seen = receiver.seen.lock().unwrap().clone();
    let params = &seen[0];
    let sid = value(params, "MessageSid").unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(value(params, "SmsSid"), Some(sid));
    assert_eq!(value(params, "AccountSid"), Some(ACCOUNT));
    assert_eq!(value(params, "From"), Some(CALLER));
    assert_eq!(value(params, "To"), Some(OURS));
    assert_eq!(value(params, "Body"), Some("STOP"));
    assert_eq!(value(params, "NumMedia"), Some("0"));
    assert_eq!(value(params, "ApiVersion"), Some("2010-04-01"));
}

#[tokio::test]
async fn a_forwarded_legs_requests_carry_twilios_parameters() {
    let double = double().await;
    let receiver = receiver().await;
    let leg = double.forward_leg("CAparent", CALLER, "+14155550100");
    assert!(leg.call_sid.starts_with("CA") && leg.call_sid.len() == 34);
    assert_eq!(double.deliver_screen(&receiver.url, &leg).await.0, 200);
    assert_eq!(double.deliver_gather(&receiver.url, &leg, "7").await.0, 200);
    assert_eq!(
        double
            .deliver_dial_status(&receiver.url, &leg, "in-progress", 0, 0)
            .await
            .0,
        200
    );
    assert_eq!(
        double
            .deliver_dial_status(&receiver.url, &leg, "no-answer", 0, 1)
            .await
            .0,
        200
    );
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "every request was signed and answered");
    for params in &seen {
        assert_eq!(value(params, "CallSid"), Some(leg.call_sid.as_str()));
        assert_eq!(value(params, "ParentCallSid"), Some("CAparent"));
        assert_eq!(value(params, "AccountSid"), Some(ACCOUNT));
        assert_eq!(value(params, "From"), Some(CALLER));
        assert_eq!(value(params, "To"), Some("+14155550100"));
        assert_eq!(value(params, "Direction"), Some("outbound-dial"));
    }
    assert_eq!(value(&seen[1], "Digits"), Some("7"));
    let (answered, ended) = (&seen[2], &seen[3]);
    assert_eq!(value(answered, "CallStatus"), Some("in-progress"));
    assert_eq!(value(answered, "SequenceNumber"), Some("0"));
    assert_eq!(value(answered, "CallDuration"), None);
    assert_eq!(value(ended, "CallStatus"), Some("no-answer"));
    assert_eq!(value(ended, "SequenceNumber"), Some("1"));
    assert_eq!(value(ended, "CallDuration"), Some("0"));
    assert!(value(ended, "Timestamp").unwrap().ends_with(" +0000"));
}

#[tokio::test]
async fn the_accounts_numbers_are_found_by_number_and_updated_field_by_field() {
    let double = double().await;
    let sid = double.own_number(OURS);
    double.own_number("+14155550999");
    let (status, page) = get_json(
        &double,
        "IncomingPhoneNumbers.json?PhoneNumber=%2B14155559000",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let listed = page["incoming_phone_numbers"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!(listed[0]["sid"], sid.as_str());
    assert_eq!(listed[0]["phone_number"], OURS);
    assert_eq!(
        listed[0]["voice_url"],
        "https://demo.twilio.com/welcome/voice/"
    );
    assert_eq!(listed[0]["voice_application_sid"], "");
    assert!(listed[0]["trunk_sid"].is_null());
    assert!(page["next_page_uri"].is_null());
    assert_eq!(page["page_size"], 50);
    let (_, all) = get_json(&double, "IncomingPhoneNumbers.json").await;
    assert_eq!(all["incoming_phone_numbers"].as_array().unwrap().len(), 2);
    let (_, none) = get_json(
        &double,
        "IncomingPhoneNumbers.json?PhoneNumber=%2B14155550000",
    )
    .await;
    assert_eq!(none["incoming_phone_numbers"], serde_json::json!([]));

    let resource = format!("IncomingPhoneNumbers/{sid}.json");
    let update = client()
        .post(url(&double, &resource))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[
            ("VoiceUrl", "https://calls.example.com/voice"),
            ("SmsMethod", "GET"),
            ("NoSuchParameter", "x"),
        ]);
    let (status, updated) = status_and_json(update).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["voice_url"], "https://calls.example.com/voice");
    assert_eq!(updated["sms_method"], "GET");
    assert_eq!(
        updated["sms_url"],
        "https://demo.twilio.com/welcome/sms/reply/"
    );
    assert!(updated.get("no_such_parameter").is_none());
    assert_eq!(double.number_resource(&sid), updated);
    assert_eq!(get_json(&double, &resource).await, (200, updated));
    assert!(double.requests().iter().any(|r| r.is_number_update()));

    double.set_number_field(&sid, "voice_application_sid", "AP0001");
    let (_, page) = get_json(
        &double,
        "IncomingPhoneNumbers.json?PhoneNumber=%2B14155559000",
    )
    .await;
    assert_eq!(
        page["incoming_phone_numbers"][0]["voice_application_sid"],
        "AP0001"
    );

    let unknown = "IncomingPhoneNumbers/PN00000000000000000000000000000000.json";
    let (status, body) = get_json(&double, unknown).await;
    assert_twilio_error(&body, 404, 20404);
    assert_eq!(status, 404);
    let post_unknown = client()
        .post(url(&double, unknown))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .form(&[("VoiceUrl", "https://x.example.com")]);
    let (status, body) = status_and_json(post_unknown).await;
    assert_eq!(status, 404);
    assert_twilio_error(&body, 404, 20404);

    double.fail_number_requests(1);
    let (status, body) = get_json(&double, "IncomingPhoneNumbers.json").await;
    assert_eq!(status, 500);
    assert_twilio_error(&body, 500, 20500);
    assert_eq!(get_json(&double, "IncomingPhoneNumbers.json").await.0, 200);

    let unauthenticated = client().get(url(&double, "IncomingPhoneNumbers.json"));
    let (status, body) = status_and_json(unauthenticated).await;
    assert_eq!(status, 401);
    assert_twilio_error(&body, 401, 20003);
    let delete = client()
        .delete(url(&double, &resource))
        .basic_auth(ACCOUNT, Some(TOKEN));
    assert_eq!(status_and_json(delete).await.0, 405);
}

fn lookup_url(double: &TwilioDouble, number: &str, fields: Option<&str>) -> String {
    let encoded = number.replace('+', "%2B");
    let query = fields.map_or(String::new(), |fields| format!("?Fields={fields}"));
    format!("{}/v2/PhoneNumbers/{encoded}{query}", double.base_url())
}

async fn lookup(double: &TwilioDouble, number: &str) -> (u16, serde_json::Value) {
    let request = client()
        .get(lookup_url(double, number, Some("line_type_intelligence")))
        .basic_auth(ACCOUNT, Some(TOKEN));
    status_and_json(request).await
}

/// Lookup v2 as the worker asks it: the account's Basic auth, the number with its `+` encoded, and
/// `Fields=line_type_intelligence`; Twilio's resource back, the package filled only when asked for.
#[tokio::test]
async fn lookup_answers_the_line_type_in_twilios_shape() {
    let double = double().await;
    double.set_line_type(OURS, "landline");
    let (status, body) = lookup(&double, CALLER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phone_number"], CALLER);
    assert_eq!(body["calling_country_code"], "1");
    assert_eq!(body["country_code"], "US");
    assert_eq!(body["national_format"], "(415) 555-0123");
    assert_eq!(body["valid"], true);
    assert_eq!(
        body["url"],
        format!("https://lookups.twilio.com/v2/PhoneNumbers/{CALLER}")
    );
    let package = &body["line_type_intelligence"];
    assert_eq!(package["type"], "mobile", "{body}");
    assert_eq!(package["error_code"], serde_json::Value::Null);
    assert!(package["carrier_name"].is_string());
    for field in ["mobile_country_code", "mobile_network_code"] {
        assert!(package.get(field).is_some(), "{field}: {package}");
    }
    let (_, body) = lookup(&double, OURS).await;
    assert_eq!(body["line_type_intelligence"]["type"], "landline");

    // Without Fields, Twilio runs (and bills) no package: it is null.
    let request = client()
        .get(lookup_url(&double, OURS, None))
        .basic_auth(ACCOUNT, Some(TOKEN));
    let (status, body) = status_and_json(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["line_type_intelligence"], serde_json::Value::Null);
    assert_eq!(body["valid"], true);

    // Not a number: 200 and valid false, as Twilio answers it.
    let (status, body) = lookup(&double, "+1415").await;
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false);
    assert_eq!(body["line_type_intelligence"], serde_json::Value::Null);

    // Basic auth as on the REST API.
    for auth in [None, Some("wrong")] {
        let mut request = client().get(lookup_url(&double, CALLER, Some("line_type_intelligence")));
        if let Some(password) = auth {
            request = request.basic_auth(ACCOUNT, Some(password));
        }
        let (status, body) = status_and_json(request).await;
        assert_eq!(status, 401);
        assert_twilio_error(&body, 401, 20003);
    }

    // Every request is recorded, under the number it asked about.
    let lookups = double.lookups_of(CALLER);
    assert_eq!(lookups.len(), 3, "one answered, two refused");
    assert!(lookups.iter().all(|r| r.is_lookup()));
    assert_eq!(lookups[0].path, "/v2/PhoneNumbers/%2B14155550123");
    assert_eq!(
        lookups[0].query_value("Fields"),
        Some("line_type_intelligence")
    );
    assert_eq!(double.lookups_of(OURS).len(), 2);
    let all = double.requests();
    assert_eq!(all.iter().filter(|r| r.is_lookup()).count(), 6);
    assert!(!all
        .iter()
        .any(|r| r.is_message_send() || r.is_call_lookup()));
}

/// Failures are scripted per number and used up in order; then the number answers as before.
#[tokio::test]
async fn lookup_failures_are_scripted_per_number() {
    let double = double().await;
    double.set_line_type(CALLER, "fixedVoip");
    for (status, code) in [(500, 20500), (429, 20429), (404, 20404)] {
        double.script_lookup(CALLER, LookupScript::Error { status, code });
    }
    double.script_lookup(CALLER, LookupScript::NoLineType { error_code: 60600 });
    for (status, code) in [(500, 20500), (429, 20429), (404, 20404)] {
        let (got, body) = lookup(&double, CALLER).await;
        assert_eq!(got, status, "{body}");
        assert_twilio_error(&body, status, code);
    }
    let (status, body) = lookup(&double, CALLER).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["line_type_intelligence"]["type"],
        serde_json::Value::Null
    );
    assert_eq!(body["line_type_intelligence"]["error_code"], 60600);
    let (_, body) = lookup(&double, CALLER).await;
    assert_eq!(body["line_type_intelligence"]["type"], "fixedVoip");
    // Another number was never scripted.
    let (_, body) = lookup(&double, OURS).await;
    assert_eq!(body["line_type_intelligence"]["type"], "mobile");

    double.script_lookup(CALLER, LookupScript::Drop);
    let dropped = client()
        .get(lookup_url(&double, CALLER, Some("line_type_intelligence")))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(double.lookups_of(CALLER).len(), 6);
}
