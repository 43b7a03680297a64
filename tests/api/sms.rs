//! `/api/webhooks/twilio/sms`: the text starts a conversation. Opt-out keywords are honoured
//! locally (an opted-out caller gets no text and costs no Twilio request), a lead's reply reaches
//! the owner's phone, and the owner's answer from that phone reaches the lead.
use missed_call_textback::domain::Outcome;
use test_support::*;

const RESPONSE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// A missed call from `from`, settled by Phase 2.
async fn missed_call(app: &TestApp, from: &str) -> String {
    let sid = call_sid(0);
    assert_eq!(
        app.dial_result_from(&sid, from, "no-answer").await.status,
        200
    );
    app.wait_for_call(&sid, |row| row.processed).await;
    sid
}

#[tokio::test]
async fn stop_means_no_text_and_no_request_and_start_lifts_it() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let sms = app.twilio.inbound_sms(CALLER, TWILIO_NUMBER, " stop ");
    let (status, body) = app.deliver_sms(&sms).await;
    assert_eq!(
        (status, body.as_str()),
        (200, RESPONSE),
        "Twilio confirms STOP itself"
    );
    app.assert_logged("[SMS] ********0123 opted out of texts from ********9000 (STOP)")
        .await;

    let sid = missed_call(&app, CALLER).await;
    assert_eq!(
        app.call_row(&sid).await.unwrap().outcome.as_deref(),
        Some(Outcome::OptedOut.as_str())
    );
    assert!(app.sms_requests().is_empty(), "no Messages request at all");

    app.text_number(CALLER, "START").await;
    app.assert_logged("opted back in to texts from ********9000 (START)")
        .await;
    let again = missed_call(&app, CALLER).await;
    assert_eq!(
        app.call_row(&again).await.unwrap().outcome.as_deref(),
        Some("texted")
    );
    assert_eq!(app.wait_for_texts_to(CALLER, 1).await.len(), 1);
}

#[tokio::test]
async fn keywords_match_as_twilio_matches_them_and_opt_outs_are_per_number() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    let other = "+14155559001";
    let reply = app
        .configure_number(
            other,
            serde_json::json!({ "forward_to": "+14155550199", "business_name": "Ann's Bakery" }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);

    app.text_number(&caller(1), "Unsubscribe").await;
    let mut typed = app.twilio.inbound_sms(&caller(2), TWILIO_NUMBER, "Arrêt");
    typed.opt_out_type = Some("STOP".into());
    assert_eq!(app.deliver_sms(&typed).await.0, 200);
    app.text_number(&caller(3), "Stop calling me").await;
    app.assert_logged_times("(STOP): no missed-call text goes to them", 2)
        .await;

    for n in 1..=3 {
        missed_call(&app, &caller(n)).await;
    }
    assert!(app.twilio.messages_to(&caller(1)).is_empty());
    assert!(app.twilio.messages_to(&caller(2)).is_empty());
    assert_eq!(
        app.twilio.messages_to(&caller(3)).len(),
        1,
        "a sentence with STOP in it is a reply, not a keyword"
    );
    let forwarded = app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert!(forwarded[0]
        .form_value("Body")
        .unwrap()
        .ends_with("\"Stop calling me\""));
    // caller(1) opted out of TWILIO_NUMBER only.
    let sid = call_sid(9);
    let from = caller(1);
    let mut params: Vec<(&str, &str)> = call_params_from(&sid, "in-progress", &from)
        .into_iter()
        .map(|(k, v)| match k {
            "To" | "Called" => (k, other),
            _ => (k, v),
        })
        .collect();
    params.push(("DialCallStatus", "no-answer"));
    let reply = app.post_voice(&dial_query(&from, other), &params).await;
    assert_eq!(reply.status, 200);
    let row = app.wait_for_call(&sid, |row| row.processed).await;
    assert_eq!(row.outcome.as_deref(), Some("texted"));
}

#[tokio::test]
async fn a_reply_reaches_the_owner_once_with_the_callers_number() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    missed_call(&app, CALLER).await;
    let sms = app.text_number(CALLER, "Can you come Tuesday?").await;
    let forwarded = app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert_eq!(forwarded.len(), 1);
    let text = forwarded[0].form_value("Body").unwrap();
    let call = text
        .strip_prefix("Reply from +14155550123 to Joe's Plumbing (missed call ")
        .unwrap_or_else(|| panic!("{text}"));
    // `Nov 25, 2:14 PM UTC`: the month's name, the day, the time.
    let (month, rest) = call.split_once(' ').unwrap();
    assert!(
        month.len() == 3 && month.as_bytes()[0].is_ascii_uppercase(),
        "{text}"
    );
    assert!(rest.contains(", ") && rest.contains(" UTC)"), "{text}");
    assert!(text.ends_with(" UTC): \"Can you come Tuesday?\""), "{text}");
    assert_eq!(forwarded[0].form_value("From"), Some(TWILIO_NUMBER));
    assert_eq!(forwarded[0].form_value("StatusCallback"), None);

    // Twilio delivers the same webhook again: forwarded once.
    assert_eq!(app.deliver_sms(&sms).await.0, 200);
    app.assert_logged("was already forwarded: not again").await;
    assert_eq!(app.twilio.messages_to(FORWARD_TO).len(), 1);

    // An MMS says so, with its first attachment.
    let mut photo = app.twilio.inbound_sms(CALLER, TWILIO_NUMBER, "");
    photo.media_urls = vec!["https://media.example.com/ME1.jpg".into()];
    assert_eq!(app.deliver_sms(&photo).await.0, 200);
    let forwarded = app.wait_for_texts_to(FORWARD_TO, 2).await;
    assert!(forwarded[1]
        .form_value("Body")
        .unwrap()
        .ends_with("\"\" [media attached: https://media.example.com/ME1.jpg]"));
    // Replies are not calls: nothing was recorded or texted for them.
    assert_eq!(app.count_calls().await, 1);
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);
    app.assert_logged("Reply from ********0123 forwarded to the owner (********0100)")
        .await;
}

#[tokio::test]
async fn replies_go_to_notify_to_when_it_is_set() {
    let app = spawn_app().await;
    let notify = "+14155550177";
    let reply = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's Plumbing",
                                "notify_to": notify }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["notify_to"], notify);
    app.text_number(CALLER, "Hello?").await;
    let forwarded = app.wait_for_texts_to(notify, 1).await;
    assert!(forwarded[0]
        .form_value("Body")
        .unwrap()
        .starts_with("Reply from +14155550123 to Joe's Plumbing (no recent call): \"Hello?\""));
    assert!(app.twilio.messages_to(FORWARD_TO).is_empty());

    // The owner answers from either phone.
    app.text_number(notify, "Who is this?").await;
    let relayed = app.wait_for_texts_to(CALLER, 1).await;
    assert_eq!(relayed[0].form_value("Body"), Some("Who is this?"));
}

#[tokio::test]
async fn the_owner_answers_the_lead_who_wrote_last_or_the_one_named() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.text_number(FORWARD_TO, "Hello?").await;
    let notices = app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert!(
        notices[0]
            .form_value("Body")
            .unwrap()
            .starts_with("Nobody has replied to Joe's Plumbing's texts yet"),
        "{:?}",
        notices[0].form_value("Body")
    );

    let (first, second) = (caller(1), caller(2));
    // One after the other: each is recorded after its webhook is answered, so two sent at once
    // could be recorded in either order.
    app.text_number(&first, "Are you open Sunday?").await;
    app.wait_for_texts_to(FORWARD_TO, 2).await;
    app.text_number(&second, "Leaking pipe!").await;
    app.wait_for_texts_to(FORWARD_TO, 3).await;

    app.text_number(FORWARD_TO, "On my way").await;
    let to_second = app.wait_for_texts_to(&second, 1).await;
    assert_eq!(to_second.len(), 1);
    assert_eq!(to_second[0].form_value("Body"), Some("On my way"));
    assert_eq!(to_second[0].form_value("From"), Some(TWILIO_NUMBER));

    app.text_number(FORWARD_TO, &format!("{first}  Yes, from 10 to 2"))
        .await;
    let to_first = app.wait_for_texts_to(&first, 1).await;
    assert_eq!(to_first[0].form_value("Body"), Some("Yes, from 10 to 2"));
    assert_eq!(app.twilio.messages_to(&second).len(), 1);
    assert_eq!(
        app.count_calls().await,
        0,
        "relays never make calls or texts of their own"
    );
}

#[tokio::test]
async fn an_answer_to_a_lead_who_opted_out_is_not_relayed() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.text_number(CALLER, "How much for a boiler?").await;
    app.wait_for_texts_to(FORWARD_TO, 1).await;
    app.text_number(CALLER, "STOP").await;
    app.assert_logged("(STOP): no missed-call text goes to them")
        .await;
    app.text_number(FORWARD_TO, "About 2000").await;
    let notices = app.wait_for_texts_to(FORWARD_TO, 2).await;
    assert_eq!(
        notices[1].form_value("Body"),
        Some("+14155550123 has opted out of texts from this number (STOP): your message was not sent.")
    );
    assert!(app.twilio.messages_to(CALLER).is_empty());
}

#[tokio::test]
async fn an_unsigned_text_is_403_and_nothing_is_sent() {
    let app = spawn_public_app().await;
    app.configure_default_number().await;
    let form = serde_urlencoded::to_string([
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("From", CALLER),
        ("To", TWILIO_NUMBER),
        ("Body", "STOP"),
    ])
    .unwrap();
    for signature in [None, Some("bm90IGEgc2lnbmF0dXJl")] {
        let mut request = app
            .http
            .post(format!("{}{SMS_PATH}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.clone());
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        assert_eq!(request.send().await.unwrap().status(), 403);
    }
    let opted: i64 = app
        .db
        .query_one("SELECT count(*) FROM opt_outs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(opted, 0);
    assert!(app.twilio.requests().iter().all(|r| !r.is_message_send()));
}

#[tokio::test]
async fn a_malformed_text_is_400_naming_the_field() {
    let app = spawn_app().await;
    let url = format!("{}{SMS_PATH}", app.address);
    let cases: [(&[(&str, &str)], &str); 2] = [
        (
            &[("From", CALLER), ("To", TWILIO_NUMBER), ("Body", "hi")],
            "MessageSid",
        ),
        (
            &[
                ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
                ("From", CALLER),
                ("To", "9000"),
            ],
            "To",
        ),
    ];
    for (params, field) in cases {
        let (status, body) = app.twilio.post_webhook(&url, params).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(field), "{body} should name {field}");
    }
}

/// Twilio refuses a text with 21610 when the caller opted out at Twilio without our webhook seeing
/// it: recorded, so the next missed call from them costs no request.
#[tokio::test]
async fn a_21610_records_the_opt_out_and_the_next_call_is_not_attempted() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio.script_message(
        CALLER,
        MessageScript::Error {
            status: 400,
            code: 21610,
        },
    );
    let first = missed_call(&app, CALLER).await;
    let row = app.call_row(&first).await.unwrap();
    assert_eq!(
        (row.outcome.as_deref(), row.sms_error.as_deref()),
        (Some("opted_out"), Some("21610")),
        "the caller's choice, not a failed text"
    );
    app.assert_logged("has opted out at Twilio (21610): recorded")
        .await;
    let second = missed_call(&app, CALLER).await;
    assert_eq!(
        app.call_row(&second).await.unwrap().outcome.as_deref(),
        Some("opted_out")
    );
    assert_eq!(
        app.twilio.messages_to(CALLER).len(),
        1,
        "only the refused one"
    );
}

#[tokio::test]
async fn the_opt_out_footer_is_added_exactly_once() {
    let app = spawn_app().await;
    let reply = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's",
                                "sms_template": "Sorry we missed you at {business_name}!" }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        reply.json()["sms_template"],
        "Sorry we missed you at {business_name}!",
        "the template is stored as given"
    );
    missed_call(&app, CALLER).await;
    let texts = app.wait_for_texts_to(CALLER, 1).await;
    assert_eq!(
        texts[0].form_value("Body"),
        Some("Sorry we missed you at Joe's! Reply STOP to opt out.")
    );

    let with_stop = app
        .configure_number(
            TWILIO_NUMBER,
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's",
                                "sms_template": "Missed you! Text STOP to end texts." }),
        )
        .await;
    assert_eq!(with_stop.status, 200, "{}", with_stop.body);
    missed_call(&app, &caller(5)).await;
    let texts = app.wait_for_texts_to(&caller(5), 1).await;
    assert_eq!(
        texts[0].form_value("Body"),
        Some("Missed you! Text STOP to end texts.")
    );
}

/// "Yes" is Twilio's opt-in keyword, and also the most natural answer to a question: from a lead it
/// lifts an opt-out and still reaches the owner; from the owner it is an answer, relayed.
#[tokio::test]
async fn yes_from_a_lead_reaches_the_owner_and_from_the_owner_reaches_the_lead() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.text_number(CALLER, "Can you come today?").await;
    app.wait_for_texts_to(FORWARD_TO, 1).await;
    let owner_yes = app.text_number(FORWARD_TO, "Yes").await;
    let to_lead = app.wait_for_texts_to(CALLER, 1).await;
    assert_eq!(to_lead[0].form_value("Body"), Some("Yes"));
    // Twilio delivers the owner's text again: relayed once.
    assert_eq!(app.deliver_sms(&owner_yes).await.0, 200);
    app.assert_logged("was already relayed: not again").await;
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1);

    app.text_number(CALLER, "YES").await;
    let forwarded = app.wait_for_texts_to(FORWARD_TO, 2).await;
    assert!(forwarded[1]
        .form_value("Body")
        .unwrap()
        .ends_with("\"YES\""));
    // HELP is Twilio's to answer: nothing of ours, to anyone.
    app.text_number(CALLER, "help").await;
    app.assert_logged("HELP from ********0123 to ********9000: Twilio answers it")
        .await;
    assert_eq!(app.wait_for_texts_to(FORWARD_TO, 3).await.len(), 2);
}

#[tokio::test]
async fn the_owner_cannot_text_a_number_that_never_called_or_wrote() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.text_number(FORWARD_TO, "+14155550999 Hi there").await;
    let notice = app.wait_for_texts_to(FORWARD_TO, 1).await;
    assert_eq!(
        notice[0].form_value("Body"),
        Some("+14155550999 has not called or texted Joe's Plumbing, so your message was not sent to them.")
    );
    assert!(app.twilio.messages_to("+14155550999").is_empty());
    // A caller who only called (and was texted) may be answered by number.
    missed_call(&app, CALLER).await;
    app.text_number(FORWARD_TO, &format!("{CALLER} Sorry I missed you"))
        .await;
    let texts = app.wait_for_texts_to(CALLER, 2).await;
    assert_eq!(texts[1].form_value("Body"), Some("Sorry I missed you"));
}

/// A text owed a retry when the caller texts STOP: the retry settles the call `opted_out`, and
/// no second Messages request goes out.
#[tokio::test]
async fn an_owed_text_is_not_retried_after_stop() {
    let app = spawn_app().await;
    app.configure_default_number().await;
    app.twilio.script_message(
        CALLER,
        MessageScript::Error {
            status: 429,
            code: 20429,
        },
    );
    let sid = call_sid(1);
    assert_eq!(app.dial_result(&sid, "no-answer").await.status, 200);
    app.wait_for_outcome(&sid, Outcome::Owed).await;
    app.text_number(CALLER, "STOP").await;
    app.assert_logged("(STOP): no missed-call text goes to them")
        .await;
    app.pass_time(61).await;
    app.run_poll().await;
    let row = app.call_row(&sid).await.unwrap();
    assert_eq!(row.outcome.as_deref(), Some("opted_out"));
    assert_eq!(app.twilio.messages_to(CALLER).len(), 1, "only the 429");
}
