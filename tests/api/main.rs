//! End-to-end tests: the worker in workerd, a real Postgres, and the Twilio double.
mod admin;
mod health;
mod helpers;
mod poll;
mod readme;
mod voice;
