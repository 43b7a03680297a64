//! Helpers for the admin API (`/api/admin/numbers[/{e164}[/sync]]`) with the test's bearer token,
//! and the health check.
use crate::app::{Reply, TestApp};
use crate::{ADMIN_TOKEN, FORWARD_TO, TWILIO_NUMBER};
use missed_call_textback::domain::business::{render_sms, DEFAULT_TEMPLATE};
use twilio_double::RecordedRequest;

/// The business `configure_default_number` sets up.
const DEFAULT_BUSINESS: &str = "Joe's Plumbing";

/// The text a caller of the default number gets.
pub fn default_text() -> String {
    render_sms(DEFAULT_TEMPLATE, DEFAULT_BUSINESS, "")
}

impl TestApp {
    pub async fn configure_number(&self, twilio_number: &str, body: serde_json::Value) -> Reply {
        self.request(
            reqwest::Method::PUT,
            &format!("/api/admin/numbers/{twilio_number}"),
            Some(ADMIN_TOKEN),
            Some(body.to_string()),
        )
        .await
    }

    /// The number most tests call: Joe's Plumbing, forwarding to FORWARD_TO with a 20 s timeout.
    pub async fn configure_default_number(&self) {
        let reply = self
            .configure_default_number_with(serde_json::json!({}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    /// The default number with its 12-hour cooldown off, for tests that make several missed calls
    /// from one caller about something other than the cooldown (`tests/api/rules.rs` has that).
    pub async fn configure_default_number_without_cooldown(&self) {
        let reply = self
            .configure_default_number_with(serde_json::json!({ "cooldown_hours": 0 }))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    /// `PUT` of the default number with `settings` (an object) added to its definition.
    pub async fn configure_default_number_with(&self, settings: serde_json::Value) -> Reply {
        let mut body =
            serde_json::json!({ "forward_to": FORWARD_TO, "business_name": DEFAULT_BUSINESS });
        body.as_object_mut().unwrap().extend(
            settings
                .as_object()
                .expect("settings are an object")
                .clone(),
        );
        self.configure_number(TWILIO_NUMBER, body).await
    }

    pub async fn get_number(&self, twilio_number: &str) -> Reply {
        self.admin(reqwest::Method::GET, twilio_number).await
    }

    pub async fn delete_number(&self, twilio_number: &str) -> Reply {
        self.admin(reqwest::Method::DELETE, twilio_number).await
    }

    pub async fn list_numbers(&self) -> Reply {
        self.request(
            reqwest::Method::GET,
            "/api/admin/numbers",
            Some(ADMIN_TOKEN),
            None,
        )
        .await
    }

    /// `POST /api/admin/numbers/{e164}/sync`: point the number at the worker.
    pub async fn sync_number(&self, twilio_number: &str) -> Reply {
        let path = format!("/api/admin/numbers/{twilio_number}/sync");
        self.request(reqwest::Method::POST, &path, Some(ADMIN_TOKEN), None)
            .await
    }

    /// The POSTs that changed one of the account's numbers at the Twilio double.
    pub fn number_updates(&self) -> Vec<RecordedRequest> {
        self.twilio
            .requests()
            .into_iter()
            .filter(RecordedRequest::is_number_update)
            .collect()
    }

    async fn admin(&self, method: reqwest::Method, twilio_number: &str) -> Reply {
        let path = format!("/api/admin/numbers/{twilio_number}");
        self.request(method, &path, Some(ADMIN_TOKEN), None).await
    }

    /// `GET /api/health`.
    pub async fn health(&self) -> Reply {
        self.get("/api/health").await
    }
}
