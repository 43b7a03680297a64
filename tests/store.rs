//! The store against a real PostgreSQL (the cluster `make test` starts), without the worker.
use missed_call_textback::config::{Secret, TwilioConfig};
use missed_call_textback::database::DbError;
use missed_call_textback::database::{self, Client};
use missed_call_textback::domain::LineType;
use missed_call_textback::domain::{
    BusinessNumberInput, CallRef, Caller, DialStatus, Outcome, PhoneNumber, ProcessedBy,
};
use missed_call_textback::http::{
    HttpClient, InboundResponse, Method, OutboundRequest, TransportError,
};
use missed_call_textback::line_type::{line_type_of, LineTypeAnswer};
use missed_call_textback::store::calls::{
    self, defer_text, record_acceptance, record_answered, record_incoming, record_not_sent,
    record_sms_failure, settle_if_accepted, settle_skipped, Claim, Reservation, TextToReserve,
};
use missed_call_textback::store::{line_types, migrations, numbers, poll};
use test_support::fresh_test_database as fresh_database;
use test_support::{LookupScript, TwilioDouble};

/// One call's claim, as the fast path makes it (the poll's are the same statement, for many).
async fn claim_for_text(
    db: &Client,
    call: &CallRef,
    by: ProcessedBy,
    status: Option<&DialStatus>,
) -> Result<Option<Claim>, DbError> {
    let mut claims = calls::claim_for_text(db, &[(call, status)], by).await?;
    Ok(claims.pop().flatten())
}

async fn settle_without_text(
    db: &Client,
    call: &CallRef,
    by: ProcessedBy,
    outcome: Outcome,
    status: Option<&DialStatus>,
) -> Result<bool, DbError> {
    let settled = calls::settle_without_text(db, &[(call, outcome, status)], by).await?;
    Ok(settled == [true])
}

async fn record_sms_sent(db: &Client, call_sid: &str, message_sid: &str) -> Result<(), DbError> {
    calls::record_sms_sent(db, &[(call_sid, message_sid)]).await
}

fn call(sid: &str) -> CallRef {
    CallRef {
        call_sid: sid.into(),
        from: Caller::parse("+14155550123"),
        to: PhoneNumber::parse("+14155559000").unwrap(),
    }
}

async fn add_business(db: &Client) {
    let number = BusinessNumberInput {
        forward_to: "+14155550100".into(),
        business_name: "Joe's".into(),
        sms_template: None,
        dial_timeout_secs: None,
        enabled: None,
        ..Default::default()
    }
    .validate("+14155559000")
    .unwrap();
    numbers::upsert(db, &number).await.unwrap();
}

#[tokio::test]
async fn migrations_apply_once() {
    let (_, mut db) = fresh_database().await;
    assert_eq!(
        migrations::run(&mut db).await.unwrap(),
        Vec::<u32>::new(),
        "a second run applies nothing"
    );
    let recorded: i64 = db
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded as usize, migrations::MIGRATIONS.len());
    let index: String = db
        .query_one("SELECT indexdef FROM pg_indexes WHERE indexname = 'active_calls_unprocessed_received_at'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(index.contains("WHERE (NOT processed)"), "{index}");
}

#[tokio::test]
async fn exactly_one_of_many_concurrent_claims_wins() {
    let (url, db) = fresh_database().await;
    add_business(&db).await;
    let mut clients = Vec::new();
    for _ in 0..30 {
        clients.push(database::connect_url(&url).await.unwrap());
    }
    let target = call("CA1");
    let claims = futures::future::join_all(
        clients
            .iter()
            .map(|c| claim_for_text(c, &target, ProcessedBy::Callback, Some(&DialStatus::Busy))),
    )
    .await;
    let winners: Vec<_> = claims.into_iter().filter_map(Result::unwrap).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].attempt, 1);
    assert_eq!(winners[0].business.as_ref().unwrap().business_name, "Joe's");
}

#[tokio::test]
async fn owed_texts_are_claimable_again_only_when_due() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let c = call("CA2");
    assert!(claim_for_text(&db, &c, ProcessedBy::Callback, None)
        .await
        .unwrap()
        .is_some());
    record_sms_failure(&db, "CA2", "http-429", Some(600), false)
        .await
        .unwrap();
    assert!(
        claim_for_text(&db, &c, ProcessedBy::Poll, None)
            .await
            .unwrap()
            .is_none(),
        "not yet due"
    );
    db.execute(
        "UPDATE active_calls SET next_attempt_at = now() - interval '1 s'",
        &[],
    )
    .await
    .unwrap();
    let retry = claim_for_text(&db, &c, ProcessedBy::Poll, None)
        .await
        .unwrap()
        .expect("due again");
    assert_eq!(retry.attempt, 2);
    record_sms_sent(&db, "CA2", "SM1").await.unwrap();
    assert!(
        claim_for_text(&db, &c, ProcessedBy::Poll, None)
            .await
            .unwrap()
            .is_none(),
        "texted is final"
    );
    assert!(
        !settle_without_text(&db, &c, ProcessedBy::Callback, Outcome::Answered, None)
            .await
            .unwrap()
    );
    let outcome: String = db
        .query_one("SELECT outcome FROM active_calls", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "texted");
}

/// Once a send may have gone out, only a lookup at Twilio clears the doubt: a later failure that
/// is a clear refusal says nothing about the earlier send.
#[tokio::test]
async fn a_later_definite_failure_keeps_the_maybe_sent_mark() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let c = call("CA4");
    claim_for_text(&db, &c, ProcessedBy::Callback, None)
        .await
        .unwrap()
        .expect("claimed");
    record_sms_failure(&db, "CA4", "timeout", Some(60), true)
        .await
        .unwrap();
    record_sms_failure(&db, "CA4", "http-429", Some(60), false)
        .await
        .unwrap();
    db.execute(
        "UPDATE active_calls SET next_attempt_at = now() - interval '1 s'",
        &[],
    )
    .await
    .unwrap();
    assert!(
        claim_for_text(&db, &c, ProcessedBy::Callback, None)
            .await
            .unwrap()
            .is_none(),
        "a text that may have gone out is never claimed blind"
    );
    let due = poll::lease_due(&db, 45, 20, 900).await.unwrap();
    assert!(due[0].verify_since.is_some(), "{due:?}");

    record_not_sent(&db, "CA4").await.unwrap();
    let retry = claim_for_text(&db, &c, ProcessedBy::Poll, None)
        .await
        .unwrap()
        .expect("claimable once Twilio showed nothing");
    assert_eq!(retry.attempt, 2);
}

#[tokio::test]
async fn recording_an_incoming_call_is_idempotent() {
    let (_, db) = fresh_database().await;
    let to = PhoneNumber::parse("+14155559000").unwrap();
    let caller = Caller::parse("+14155550123");
    assert!(record_incoming(&db, "CA3", &caller, &to)
        .await
        .unwrap()
        .is_none());
    add_business(&db).await;
    for _ in 0..3 {
        let business = record_incoming(&db, "CA3", &caller, &to).await.unwrap();
        assert_eq!(business.unwrap().forward_to.as_str(), "+14155550100");
    }
    let rows: i64 = db
        .query_one("SELECT count(*) FROM active_calls", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
}

/// A row an old Phase 2 recorded with a malformed called number can never be texted; it must not
/// stop the poll from leasing the calls beside it.
#[tokio::test]
async fn a_malformed_row_does_not_block_the_lease() {
    let (_, db) = fresh_database().await;
    db.batch_execute(
        "INSERT INTO active_calls (call_sid, from_number, to_number, received_at) VALUES
             ('CAbad', '+14155550123', 'garbage', now() - interval '10 minutes'),
             ('CAgood', '+14155550124', '+14155559000', now() - interval '9 minutes')",
    )
    .await
    .unwrap();
    let due = poll::lease_due(&db, 45, 20, 900).await.unwrap();
    let sids: Vec<&str> = due.iter().map(|d| d.call.call_sid.as_str()).collect();
    assert_eq!(sids, ["CAgood"]);
    assert_eq!(due[0].call.to.as_str(), "+14155559000");
}

/// The queue's check leases only the calls it lists, and of those only the ones the poll would:
/// due, unsettled, not leased already.
#[tokio::test]
async fn a_listed_lease_takes_only_the_listed_calls_that_are_due() {
    let (_, db) = fresh_database().await;
    db.batch_execute(
        "INSERT INTO active_calls (call_sid, from_number, to_number, received_at) VALUES
             ('CAdue', '+14155550123', '+14155559000', now() - interval '10 minutes'),
             ('CAunlisted', '+14155550124', '+14155559000', now() - interval '10 minutes'),
             ('CAringing', '+14155550125', '+14155559000', now() - interval '5 seconds');
         INSERT INTO active_calls (call_sid, from_number, to_number, received_at, processed, outcome)
             VALUES ('CAsettled', '+14155550126', '+14155559000', now() - interval '10 minutes',
                     true, 'texted')",
    )
    .await
    .unwrap();
    let listed: Vec<String> = ["CAdue", "CAringing", "CAsettled", "CAunknown"]
        .map(String::from)
        .to_vec();
    let due = poll::lease_listed(&db, &listed, 20, 900).await.unwrap();
    let sids: Vec<&str> = due.iter().map(|d| d.call.call_sid.as_str()).collect();
    assert_eq!(sids, ["CAdue"]);
    assert!(
        poll::lease_listed(&db, &listed, 20, 900)
            .await
            .unwrap()
            .is_empty(),
        "a call already leased is not leased again"
    );
    let rest = poll::lease_due(&db, 45, 20, 900).await.unwrap();
    let sids: Vec<&str> = rest.iter().map(|d| d.call.call_sid.as_str()).collect();
    assert_eq!(sids, ["CAunlisted"], "the poll still leases any due call");
}

#[tokio::test]
async fn an_accepted_screened_forward_is_answered_and_never_claimed() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let (accepted, ignored) = (call("CA1"), call("CA2"));
    for target in [&accepted, &ignored] {
        record_incoming(&db, &target.call_sid, &target.from, &target.to)
            .await
            .unwrap();
    }
    db.execute(
        "UPDATE active_calls SET screened = true, accepted_at = now() WHERE call_sid = 'CA1'",
        &[],
    )
    .await
    .unwrap();
    let completed = DialStatus::Completed;
    assert!(
        claim_for_text(&db, &accepted, ProcessedBy::Callback, Some(&completed))
            .await
            .unwrap()
            .is_none(),
        "a person accepted: never texted"
    );
    assert!(
        settle_if_accepted(&db, "CA1", ProcessedBy::Callback, Some(&completed))
            .await
            .unwrap()
    );
    assert!(
        !settle_if_accepted(&db, "CA2", ProcessedBy::Callback, Some(&completed))
            .await
            .unwrap()
    );
    assert!(
        claim_for_text(&db, &ignored, ProcessedBy::Callback, Some(&completed))
            .await
            .unwrap()
            .is_some()
    );
    let outcome: String = db
        .query_one(
            "SELECT outcome FROM active_calls WHERE call_sid = 'CA1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, Outcome::Answered.as_str());
}

/// (outcome, processed_by, screened, accepted, answered) of a call's row.
async fn marks(db: &Client, sid: &str) -> (Option<String>, Option<String>, bool, bool, bool) {
    let row = db
        .query_one(
            "SELECT outcome, processed_by, screened, accepted_at IS NOT NULL,
                    answered_at IS NOT NULL
             FROM active_calls WHERE call_sid = $1",
            &[&sid],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

#[tokio::test]
async fn acceptance_and_pick_up_are_recorded_without_phase_one_and_never_overturn_an_outcome() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let by = ProcessedBy::StatusCallback;
    let (accepted, texted, picked_up, screened) =
        (call("CA1"), call("CA2"), call("CA3"), call("CA4"));
    assert!(record_acceptance(&db, &accepted).await.unwrap());
    assert!(record_acceptance(&db, &accepted).await.unwrap(), "a repeat");
    assert_eq!(marks(&db, "CA1").await, (None, None, true, true, false));

    claim_for_text(
        &db,
        &texted,
        ProcessedBy::Callback,
        Some(&DialStatus::Completed),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        !record_acceptance(&db, &texted).await.unwrap(),
        "claimed first"
    );
    record_answered(&db, &texted, false, by).await.unwrap();
    let (outcome, processed_by, _, accepted_mark, _) = marks(&db, "CA2").await;
    assert_eq!(
        (outcome.as_deref(), processed_by.as_deref(), accepted_mark),
        (Some("sending"), Some("callback"), false)
    );

    record_answered(&db, &picked_up, false, by).await.unwrap();
    let answered = (
        Some("answered".to_string()),
        Some("status_callback".to_string()),
        false,
        false,
        true,
    );
    assert_eq!(marks(&db, "CA3").await, answered);
    record_answered(&db, &picked_up, false, by).await.unwrap();
    assert_eq!(
        marks(&db, "CA3").await,
        answered,
        "a duplicate changes nothing"
    );

    record_incoming(&db, &screened.call_sid, &screened.from, &screened.to)
        .await
        .unwrap();
    record_answered(&db, &screened, true, by).await.unwrap();
    assert_eq!(
        marks(&db, "CA4").await,
        (None, None, true, false, true),
        "a screened pick-up is only noted"
    );
}

/// Lookup's answers are kept `max_age_days` and refreshed by a new answer; the weekly cleanup
/// deletes what is older than that. Time passes by moving `looked_up_at`, not by sleeping.
#[tokio::test]
async fn line_types_are_cached_for_their_max_age() {
    let (_, db) = fresh_database().await;
    let caller = PhoneNumber::parse("+14155550123").unwrap();
    let other = PhoneNumber::parse("+14155550124").unwrap();
    assert_eq!(line_types::cached(&db, &caller, 180).await.unwrap(), None);
    line_types::remember(&db, &caller, &LineType::Landline)
        .await
        .unwrap();
    line_types::remember(&db, &other, &LineType::Other("satellite".into()))
        .await
        .unwrap();
    assert_eq!(
        line_types::cached(&db, &caller, 180).await.unwrap(),
        Some(LineType::Landline)
    );
    assert_eq!(
        line_types::cached(&db, &other, 180).await.unwrap(),
        Some(LineType::Other("satellite".into()))
    );

    age_line_type(&db, &caller, 100).await;
    assert_eq!(
        line_types::cached(&db, &caller, 180).await.unwrap(),
        Some(LineType::Landline)
    );
    assert_eq!(line_types::cached(&db, &caller, 99).await.unwrap(), None);
    // A new answer replaces the old one and is young again.
    line_types::remember(&db, &caller, &LineType::Mobile)
        .await
        .unwrap();
    assert_eq!(
        line_types::cached(&db, &caller, 99).await.unwrap(),
        Some(LineType::Mobile)
    );

    age_line_type(&db, &caller, 181).await;
    age_line_type(&db, &other, 179).await;
    assert_eq!(line_types::cached(&db, &caller, 180).await.unwrap(), None);
    assert_eq!(line_types::delete_older_than(&db, 180).await.unwrap(), 1);
    let left: Vec<String> = db
        .query("SELECT phone FROM line_types", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(left, [other.as_str()]);
}

async fn age_line_type(db: &Client, phone: &PhoneNumber, days: i32) {
    db.execute(
        "UPDATE line_types SET looked_up_at = now() - make_interval(days => $2) WHERE phone = $1",
        &[&phone.as_str(), &days],
    )
    .await
    .unwrap();
}

/// `HttpClient` natively, over reqwest: `line_type_of` against the Twilio double.
struct Reqwest(reqwest::Client);

impl HttpClient for Reqwest {
    async fn send(&self, request: OutboundRequest) -> Result<InboundResponse, TransportError> {
        let mut outbound = match request.method {
            Method::Get => self.0.get(&request.url),
            Method::Post => self.0.post(&request.url),
        };
        for (name, value) in &request.headers {
            outbound = outbound.header(name, value);
        }
        if let Some(body) = request.body {
            outbound = outbound.body(body);
        }
        let response = outbound.send().await.map_err(|e| {
            if e.is_timeout() {
                TransportError::Timeout
            } else {
                TransportError::Connection(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        Ok(InboundResponse { status, body })
    }
}

fn twilio_config(double: &TwilioDouble) -> TwilioConfig {
    TwilioConfig {
        account_sid: double.account_sid.clone(),
        auth_token: Secret::new(double.auth_token.clone()),
        // Lookup must go to its own base URL: the REST one leads nowhere here.
        api_base_url: "http://127.0.0.1:9".into(),
        lookup_base_url: double.base_url(),
        message_status_url: "http://127.0.0.1:9/api/webhooks/twilio/message-status".into(),
    }
}

/// The piece the missed-call path calls, against the real database and the Twilio double: one
/// paid Lookup per caller, then the cache; failures fail open and are asked again next time; a
/// number Twilio does not know (404/20404) is remembered as unknown; an old answer is asked again.
#[tokio::test]
async fn line_type_of_looks_up_once_then_answers_from_the_cache() {
    let (_, db) = fresh_database().await;
    let double = TwilioDouble::start(0, "AC0123456789abcdef0123456789abcdef", "lookup-token")
        .await
        .unwrap();
    let (http, twilio) = (Reqwest(reqwest::Client::new()), twilio_config(&double));
    let landline = PhoneNumber::parse("+14155550123").unwrap();
    let mobile = PhoneNumber::parse("+14155550124").unwrap();
    let unknown = PhoneNumber::parse("+14155550125").unwrap();
    double.set_line_type(landline.as_str(), "landline");

    let first = line_type_of(&db, &http, &twilio, &landline).await;
    assert_eq!(first, LineTypeAnswer::LookedUp(LineType::Landline));
    assert!(first.is_landline() && first.requested());
    let again = line_type_of(&db, &http, &twilio, &landline).await;
    assert_eq!(again, LineTypeAnswer::Cached(LineType::Landline));
    assert!(again.is_landline() && !again.requested());
    let asked = double.lookups_of(landline.as_str());
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].query_value("Fields"),
        Some("line_type_intelligence")
    );

    // Failures: texted anyway, and not remembered.
    for (status, code) in [(500, 20500), (429, 20429)] {
        double.script_lookup(mobile.as_str(), LookupScript::Error { status, code });
    }
    for label in ["20500", "20429"] {
        let answer = line_type_of(&db, &http, &twilio, &mobile).await;
        let LineTypeAnswer::Unknown { reason, requested } = &answer else {
            panic!("{answer:?}");
        };
        assert!(reason.starts_with(label) && *requested, "{reason}");
        assert!(!answer.is_landline());
    }
    let answer = line_type_of(&db, &http, &twilio, &mobile).await;
    assert_eq!(answer, LineTypeAnswer::LookedUp(LineType::Mobile));
    assert_eq!(double.lookups_of(mobile.as_str()).len(), 3);

    double.script_lookup(
        unknown.as_str(),
        LookupScript::Error {
            status: 404,
            code: 20404,
        },
    );
    let answer = line_type_of(&db, &http, &twilio, &unknown).await;
    assert_eq!(answer, LineTypeAnswer::LookedUp(LineType::Unknown));
    let answer = line_type_of(&db, &http, &twilio, &unknown).await;
    assert_eq!(answer, LineTypeAnswer::Cached(LineType::Unknown));
    assert_eq!(double.lookups_of(unknown.as_str()).len(), 1);

    // After 180 days the answer is asked for again (and the landline has become a mobile).
    age_line_type(&db, &landline, 181).await;
    double.set_line_type(landline.as_str(), "mobile");
    let answer = line_type_of(&db, &http, &twilio, &landline).await;
    assert_eq!(answer, LineTypeAnswer::LookedUp(LineType::Mobile));
    assert_eq!(
        line_types::cached(&db, &landline, 1).await.unwrap(),
        Some(LineType::Mobile)
    );
    assert_eq!(double.lookups_of(landline.as_str()).len(), 2);
    assert_eq!(
        double.requests().len(),
        double.requests().iter().filter(|r| r.is_lookup()).count(),
        "nothing but Lookups"
    );
}

/// The cooldown row and the day's count of `caller`'s texts from the test number.
async fn reservations(db: &Client) -> (Option<String>, i32) {
    let holder = db
        .query_opt(
            "SELECT call_sid FROM caller_cooldowns WHERE caller = '+14155550123'",
            &[],
        )
        .await
        .unwrap()
        .map(|row| row.get(0));
    let texts = db
        .query_opt("SELECT texts FROM daily_text_counts", &[])
        .await
        .unwrap()
        .map_or(0, |row| row.get(0));
    (holder, texts)
}

async fn reserve(db: &Client, sid: &str, cooldown: u32, limit: u32) -> Reservation {
    let target = call(sid);
    let caller = PhoneNumber::parse("+14155550123").unwrap();
    let text = TextToReserve {
        call: &target,
        caller: &caller,
        cooldown_hours: cooldown,
        daily_limit: limit,
        day: "2026-11-25".into(),
        body: "Hi".into(),
    };
    calls::reserve_text(db, &[text]).await.unwrap()[0]
}

#[tokio::test]
async fn concurrent_reservations_from_one_caller_grant_one_and_count_one() {
    let (url, db) = fresh_database().await;
    add_business(&db).await;
    let mut clients = Vec::new();
    for n in 0..12 {
        let client = database::connect_url(&url).await.unwrap();
        claim_for_text(
            &client,
            &call(&format!("CA{n}")),
            ProcessedBy::Callback,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        clients.push(client);
    }
    let sids: Vec<String> = (0..12).map(|n| format!("CA{n}")).collect();
    let reserved = futures::future::join_all(
        clients
            .iter()
            .zip(&sids)
            .map(|(c, sid)| reserve(c, sid, 12, 200)),
    )
    .await;
    let granted = reserved
        .iter()
        .filter(|r| **r == Reservation::Granted)
        .count();
    let cooled = reserved
        .iter()
        .filter(|r| **r == Reservation::Refused(Outcome::Cooldown))
        .count();
    assert_eq!((granted, cooled), (1, 11));
    let (holder, texts) = reservations(&db).await;
    assert!(holder.is_some());
    assert_eq!(texts, 1, "only the granted text is counted");
}

/// A call from `caller` to the test number, claimed for a text.
async fn claimed_call(db: &Client, sid: &str, caller: &str) -> CallRef {
    let c = CallRef {
        call_sid: sid.into(),
        from: Caller::parse(caller),
        to: PhoneNumber::parse("+14155559000").unwrap(),
    };
    claim_for_text(db, &c, ProcessedBy::Poll, None)
        .await
        .unwrap()
        .unwrap();
    c
}

/// Reserves the texts of `calls` in one statement (the poll's batch), cooldown 12 h.
async fn reserve_batch(db: &Client, calls: &[CallRef], limit: u32) -> Vec<Reservation> {
    let callers: Vec<PhoneNumber> = calls
        .iter()
        .map(|c| c.from.textable().unwrap().clone())
        .collect();
    let texts: Vec<TextToReserve> = calls
        .iter()
        .zip(&callers)
        .map(|(call, caller)| TextToReserve {
            call,
            caller,
            cooldown_hours: 12,
            daily_limit: limit,
            day: "2026-11-25".into(),
            body: "Hi".into(),
        })
        .collect();
    calls::reserve_text(db, &texts).await.unwrap()
}

/// The poll reserves a batch in one statement: the day's limit holds inside it (the first calls
/// by SID get what is left) and one caller's two calls take one cooldown.
#[tokio::test]
async fn one_statement_reserves_a_batch_within_the_day_limit_and_one_text_per_caller() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let mut batch = Vec::new();
    for n in 0..5 {
        batch.push(claimed_call(&db, &format!("CA{n}"), &format!("+1415555020{n}")).await);
    }
    // A second call from the first caller, in the same batch.
    batch.push(claimed_call(&db, "CA5", "+14155550200").await);
    let reserved = reserve_batch(&db, &batch, 3).await;
    let granted = Reservation::Granted;
    let limited = Reservation::Refused(Outcome::DailyLimit);
    let cooled = Reservation::Refused(Outcome::Cooldown);
    assert_eq!(
        reserved,
        vec![granted, granted, granted, limited, limited, cooled]
    );
    let texts: i32 = db
        .query_one("SELECT texts FROM daily_text_counts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(texts, 3);
    let refused: i64 = db
        .query_one(
            "SELECT count(*) FROM active_calls WHERE outcome IN ('daily_limit', 'cooldown')
             AND processed",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        refused, 3,
        "a refusal settles its call in the same statement"
    );
}

/// Batches reserved at the same moment on connections of their own (two poll invocations, a
/// queue consumer) never pass the day's limit together.
#[tokio::test]
async fn concurrent_batches_never_pass_the_day_limit() {
    let (url, db) = fresh_database().await;
    add_business(&db).await;
    let mut batches = Vec::new();
    for b in 0..4 {
        let client = database::connect_url(&url).await.unwrap();
        let mut batch = Vec::new();
        for n in 0..5 {
            let sid = format!("CA{b}{n}");
            batch.push(claimed_call(&client, &sid, &format!("+141555503{b}{n}")).await);
        }
        batches.push((client, batch));
    }
    let reserved = futures::future::join_all(
        batches
            .iter()
            .map(|(client, batch)| reserve_batch(client, batch, 7)),
    )
    .await;
    let granted = reserved
        .iter()
        .flatten()
        .filter(|r| **r == Reservation::Granted)
        .count();
    assert_eq!(granted, 7);
    let texts: i32 = db
        .query_one("SELECT texts FROM daily_text_counts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(texts, 7);
}

#[tokio::test]
async fn a_retry_is_not_counted_twice_and_a_deferral_or_skip_gives_the_reservation_back() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    let c = call("CA1");
    claim_for_text(&db, &c, ProcessedBy::Callback, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reserve(&db, "CA1", 12, 200).await, Reservation::Granted);
    record_sms_failure(&db, "CA1", "http-429", Some(0), false)
        .await
        .unwrap();
    let retry = claim_for_text(&db, &c, ProcessedBy::Poll, None)
        .await
        .unwrap()
        .unwrap();
    assert!(retry.reserved);
    assert_eq!(reserve(&db, "CA1", 12, 200).await, Reservation::Granted);
    assert_eq!(reservations(&db).await, (Some("CA1".into()), 1));

    // The retry falls in quiet hours: deferred, it holds no cooldown until it is sent.
    defer_text(&db, &c, 4_000_000_000).await.unwrap();
    assert_eq!(reservations(&db).await.0, None);
    db.execute("UPDATE active_calls SET next_attempt_at = now()", &[])
        .await
        .unwrap();
    let due = claim_for_text(&db, &c, ProcessedBy::Poll, None)
        .await
        .unwrap()
        .unwrap();
    assert!(due.deferred && !due.reserved);
    assert_eq!(reserve(&db, "CA1", 12, 200).await, Reservation::Granted);
    assert_eq!(reservations(&db).await, (Some("CA1".into()), 2));
    // A landline found after the reservation gives back both.
    settle_skipped(&db, &c, Outcome::Landline, Some("2026-11-25"))
        .await
        .unwrap();
    assert_eq!(reservations(&db).await, (None, 1));
    // A settled call reserves nothing.
    assert_eq!(reserve(&db, "CA1", 12, 200).await, Reservation::NotClaimed);
    assert_eq!(reservations(&db).await, (None, 1));
}

#[tokio::test]
async fn the_daily_limit_refuses_without_counting_and_zero_refuses_all() {
    let (_, db) = fresh_database().await;
    add_business(&db).await;
    for sid in ["CA1", "CA2"] {
        claim_for_text(&db, &call(sid), ProcessedBy::Callback, None)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        reserve(&db, "CA1", 0, 0).await,
        Reservation::Refused(Outcome::DailyLimit)
    );
    assert_eq!(
        reservations(&db).await,
        (None, 0),
        "a cooldown of 0 writes no row"
    );
    assert_eq!(reserve(&db, "CA2", 0, 1).await, Reservation::Granted);
    assert_eq!(reservations(&db).await, (None, 1));
}
