//! Test support shared by the end-to-end tests (tests/api), the store tests (tests/store.rs) and
//! the benchmarks: a worker in workerd per test, a fresh database per test, the Twilio double, and
//! `TestApp` with one helper per endpoint.
//!
//! - `database`: the test cluster, fresh databases, clusters of a test's own (`OwnCluster`);
//! - `tls`: a cluster serving TLS with certificates from a CA the test made;
//! - `worker`: `wrangler dev` for one test;
//! - `db_proxy`: a relay in front of the database that can leave connections hanging;
//! - `app`: `spawn_app()`, `TestApp`, and reading back logs, rows and texts;
//! - `alert_sink`: a receiver for the alerts the worker POSTs to ALERT_WEBHOOK_URL;
//! - `voice`, `cron`, `admin`, `monitoring`, `stats`, `conversation`, `recording`: the helpers per
//!   endpoint family; `checks` for the optional CHECKS queue and its consumer.
mod admin;
mod alert_sink;
mod app;
mod checks;
mod conversation;
mod cron;
mod database;
mod db_proxy;
mod forward;
mod monitoring;
mod recording;
mod stats;
mod tls;
mod voice;
mod worker;

pub use admin::default_text;
pub use alert_sink::AlertSink;
pub use app::{
    spawn_app, spawn_app_with, spawn_public_app, CallRow, Database, Options, Reply, TestApp,
    PUBLIC_APP_URL,
};
pub use checks::{
    spawn_app_with_queue, spawn_app_with_short_checks, QUEUE_DIAL_TIMEOUT_SECS, QUEUE_GRACE_SECS,
};
pub use cron::{sizes_from_env, MeasuredPoll};
pub use database::{fresh_test_database, OwnCluster, TempDir};
pub use forward::{forward_query, DIAL_STATUS_PATH, SCREEN_PATH};
pub use monitoring::Delivery;
pub use recording::{StoredRecording, Voicemail, RECORDING_PATH};
pub use stats::{screenshot_folder, CallMix, MixedCall, Page, OTHER_BUSINESS, OTHER_NUMBER};
pub use tls::{start_tls_cluster, TlsCluster};
pub use twilio_double::{
    CallFault, ForwardLeg, InboundSms, LookupScript, MessageScript, RecordedRequest, TwilioDouble,
};
pub use voice::{call_params, call_params_from, call_sid, caller, dial_query};

pub const TWILIO_NUMBER: &str = "+14155559000";
pub const FORWARD_TO: &str = "+14155550100";
pub const CALLER: &str = "+14155550123";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const CRON_SECRET: &str = "test-cron-secret";
/// Seconds after which a recorded call is due for the poll: well past the default 20 s dial
/// timeout + 20 s grace.
pub const DUE: i32 = 60;
pub const VOICE_PATH: &str = "/api/webhooks/twilio/voice";
pub const MESSAGE_STATUS_PATH: &str = "/api/webhooks/twilio/message-status";
pub const SMS_PATH: &str = "/api/webhooks/twilio/sms";
