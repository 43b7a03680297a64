//! README's examples, run as written against a worker of our own.
use test_support::*;
/// README's manual check of the voice webhook, run as written against a worker of our own.
#[tokio::test]
async fn readme_curl_check_of_the_voice_webhook_works() {
    let app = spawn_app().await;
    let reply = app
        .configure_number(
            "+15005550006",
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Demo" }),
        )
        .await;
    assert_eq!(reply.status, 201);
    let twiml = run_readme_command(&app, "voice-curl-check").await;
    let doc = roxmltree::Document::parse(&twiml).unwrap_or_else(|e| panic!("{e}: {twiml}"));
    let number = doc
        .descendants()
        .find(|n| n.has_tag_name("Number"))
        .expect("a <Dial><Number>");
    assert_eq!(number.text(), Some(FORWARD_TO));
}

/// README's curl for the KPIs answers JSON of exactly the shape README shows, field for field.
#[tokio::test]
async fn readme_stats_curl_answers_the_documented_shape() {
    let app = spawn_app().await;
    app.play_call_mix().await;
    let answer = run_readme_command(&app, "stats-curl-check").await;
    let answer: serde_json::Value =
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    let documented: serde_json::Value =
        serde_json::from_str(&readme_block("stats-json", "json")).unwrap();
    assert_eq!(shape(&answer), shape(&documented));
}

/// The field names of `value`, nested, with the first element standing for each array
/// (`suppressed` is keyed by outcome: data, not shape).
fn shape(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(name, _)| name.as_str() != "suppressed")
            .map(|(name, field)| (name.clone(), shape(field)))
            .collect(),
        serde_json::Value::Array(items) => items.first().map(shape).into_iter().collect(),
        _ => serde_json::Value::Null,
    }
}

fn readme_block(marker: &str, language: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .split(&format!("<!-- {marker} -->"))
        .nth(1)
        .and_then(|rest| rest.split(&format!("```{language}\n")).nth(1))
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("README has no {marker} block"))
        .to_string()
}

/// Runs README's `sh` block after `marker` against `app` (its address and admin token for the
/// local ones) and returns what it printed.
/// README's example of a number's rules is accepted as written, and stored as it says.
#[tokio::test]
async fn readme_rules_example_is_a_valid_definition() {
    let app = spawn_app().await;
    let answer = run_readme_command(&app, "rules-curl-check").await;
    let number: serde_json::Value =
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(number["timezone"], "America/New_York", "{number}");
    assert_eq!(number["business_hours"]["fri"], "08:00-16:00");
    assert_eq!(number["quiet_hours"], "21:00-08:00");
    assert_eq!(
        number["blocked_callers"],
        serde_json::json!(["+14155550199"])
    );
}

async fn run_readme_command(app: &TestApp, marker: &str) -> String {
    let block = readme_block(marker, "sh");
    assert!(block.contains("http://127.0.0.1:8787"), "{block}");
    let command = block
        .replace("http://127.0.0.1:8787", &app.address)
        .replace("local-admin-token", ADMIN_TOKEN);
    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&command)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
