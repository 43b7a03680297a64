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
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("<!-- voice-curl-check -->")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("README has the voice curl check");
    assert!(block.contains("http://127.0.0.1:8787"), "{block}");
    let command = block.replace("http://127.0.0.1:8787", &app.address);
    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&command)
        .output()
        .await
        .unwrap();
    let twiml = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc = roxmltree::Document::parse(&twiml).unwrap_or_else(|e| panic!("{e}: {twiml}"));
    let number = doc
        .descendants()
        .find(|n| n.has_tag_name("Number"))
        .expect("a <Dial><Number>");
    assert_eq!(number.text(), Some(FORWARD_TO));
}
