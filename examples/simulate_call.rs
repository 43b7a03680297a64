//! Places a simulated call against the local run (`make dev`) the way Twilio would: a signed
//! Phase 1, then a signed request to the TwiML's own action URL with the chosen DialCallStatus.
//! Prints both TwiML answers, the text the Twilio double received, and the timings.
//!
//! cargo run --example simulate_call -- [--status no-answer] [--from +14155550123] [--to +15005550006]
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut status = "no-answer".to_string();
    let mut from = "+14155550123".to_string();
    let mut to = "+15005550006".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--status" => status = value,
            "--from" => from = value,
            "--to" => to = value,
            other => fail(&format!("unknown flag {other}")),
        }
    }
    let env_file = concat!(env!("CARGO_MANIFEST_DIR"), "/.local/dev.env");
    let settings: HashMap<String, String> = std::fs::read_to_string(env_file)
        .unwrap_or_else(|_| fail("no .local/dev.env: start the local run first (make dev)"))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let worker = &settings["WORKER_URL"];
    let token = &settings["TWILIO_AUTH_TOKEN"];
    let double = &settings["TWILIO_DOUBLE_URL"];
    let http = reqwest::Client::new();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let call_sid = format!("CA{:032x}", nanos);
    let texts_before = messages_to(&http, double, &from).await.len();

    let mut params = vec![
        (
            "AccountSid",
            "AC00000000000000000000000000000000".to_string(),
        ),
        ("CallSid", call_sid.clone()),
        ("CallStatus", "ringing".to_string()),
        ("Direction", "inbound".to_string()),
        ("From", from.clone()),
        ("To", to.clone()),
    ];
    let phase_one_url = format!("{worker}/api/webhooks/twilio/voice");
    let (twiml, took) = post_signed(&http, &phase_one_url, &params, token).await;
    println!("Phase 1  POST {phase_one_url}  ({took:?})\n  {twiml}\n");
    let Some(action) = dial_action(&twiml) else {
        println!("No <Dial> in the answer: is {to} configured? (PUT /api/admin/numbers/{to})");
        return;
    };

    params[2].1 = "in-progress".to_string();
    params.push(("DialCallStatus", status.clone()));
    params.push(("DialCallSid", format!("CA{:032x}", nanos + 1)));
    params.push(("DialCallDuration", "0".to_string()));
    let sent_at = Instant::now();
    let (twiml, took) = post_signed(&http, &action, &params, token).await;
    println!("Phase 2  DialCallStatus={status}  POST {action}  ({took:?})\n  {twiml}\n");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let texts = messages_to(&http, double, &from).await;
        if texts.len() > texts_before {
            let text = &texts[texts.len() - 1];
            println!(
                "Twilio double received, {:?} after Phase 2 was sent:\n  POST {}\n  To={}  From={}\n  Body={}",
                sent_at.elapsed(),
                text["path"].as_str().unwrap_or(""),
                form_value(text, "To"),
                form_value(text, "From"),
                form_value(text, "Body")
            );
            return;
        }
        if Instant::now() > deadline {
            println!(
                "No text reached the Twilio double within 10 s: expected for answered calls, and for a \
                 caller the number texted within its cooldown (12 hours by default: call from \
                 another number with FROM=+14155550124, or see the worker's [Missed Call Handler] \
                 line for the reason)."
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn fail(message: &str) -> ! {
    eprintln!("simulate_call: {message}");
    std::process::exit(2)
}

async fn post_signed(
    http: &reqwest::Client,
    url: &str,
    params: &[(&str, String)],
    token: &str,
) -> (String, Duration) {
    let started = Instant::now();
    let reply = http
        .post(url)
        .header(
            "X-Twilio-Signature",
            twilio_double::signature::compute(token, url, params),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(params).unwrap())
        .send()
        .await
        .unwrap_or_else(|e| fail(&format!("the worker did not answer: {e}")));
    let body = reply.text().await.unwrap_or_default();
    (body, started.elapsed())
}

fn dial_action(twiml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(twiml).ok()?;
    let dial = doc.descendants().find(|n| n.has_tag_name("Dial"))?;
    dial.attribute("action").map(str::to_string)
}

async fn messages_to(http: &reqwest::Client, double: &str, to: &str) -> Vec<serde_json::Value> {
    let listing: serde_json::Value =
        match http.get(format!("{double}/__double/requests")).send().await {
            Ok(reply) => reply.json().await.unwrap_or_default(),
            Err(e) => fail(&format!("the Twilio double did not answer: {e}")),
        };
    listing["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/Messages.json"))
                && form_value(r, "To") == to
        })
        .collect()
}

fn form_value(request: &serde_json::Value, name: &str) -> String {
    request["form"]
        .as_array()
        .and_then(|pairs| pairs.iter().find(|p| p[0] == name))
        .and_then(|p| p[1].as_str())
        .unwrap_or("")
        .to_string()
}
