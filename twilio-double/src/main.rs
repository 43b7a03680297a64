//! `twilio-double --port N --account-sid AC… --auth-token T`: the Twilio stand-in for local runs
//! (`make dev`). `GET /__double/requests` lists what it has been sent.
use twilio_double::TwilioDouble;

const USAGE: &str = "usage: twilio-double --port N --account-sid AC... --auth-token T";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port = 0u16;
    let mut account_sid = String::new();
    let mut auth_token = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--port" => port = value.parse().expect("--port takes a number"),
            "--account-sid" => account_sid = value,
            "--auth-token" => auth_token = value,
            other => {
                eprintln!("unknown flag {other}; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    let double = TwilioDouble::start(port, &account_sid, &auth_token)
        .await
        .expect("bind the Twilio double");
    println!("twilio-double listening on {}", double.base_url());
    tokio::signal::ctrl_c().await.ok();
}
