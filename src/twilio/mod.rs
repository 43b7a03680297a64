//! Twilio's wire format as plain functions: what to send, how to read the answer, what a webhook
//! carries and whether to trust it. The I/O lives behind [`crate::http::HttpClient`], so this runs
//! the same natively and in the worker.
pub mod lookup;
pub mod number_sync;
pub mod rest;
pub mod signature;
pub mod twiml;
pub mod webhook;
