//! HTTP handlers, one module per capability. The paths are shared with code that builds URLs.
pub const VOICE_WEBHOOK_PATH: &str = "/api/webhooks/twilio/voice";

#[cfg(target_arch = "wasm32")]
pub mod admin;
#[cfg(target_arch = "wasm32")]
pub mod cron;
#[cfg(target_arch = "wasm32")]
pub mod health;
#[cfg(target_arch = "wasm32")]
pub mod voice;
