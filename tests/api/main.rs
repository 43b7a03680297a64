//! End-to-end tests: the worker in workerd, a real Postgres, and the Twilio double. One file per
//! route family, and `texting` for the missed-call handler that the fast path and the poll share;
//! the harness is the `test-support` crate.
mod admin;
mod alerts;
mod checks;
mod cron;
mod dashboard;
mod forward;
mod health;
mod message_status;
mod poll_field_truth;
mod readme;
mod reconcile;
mod recording;
mod rules;
mod sms;
mod stats;
mod sync;
mod texting;
mod voice;
