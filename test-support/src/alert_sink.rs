//! A stand-in for an incoming-webhook receiver (Slack, Discord, Teams): it takes the alerts the
//! worker POSTs to `ALERT_WEBHOOK_URL` and keeps their JSON for the test to read back.
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AlertSink {
    /// The URL to give the worker as ALERT_WEBHOOK_URL (with a token-like path, as real ones have).
    pub url: String,
    received: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl AlertSink {
    pub async fn start() -> AlertSink {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let url = format!(
            "http://{}/services/T000/B000/alert-sink-token",
            listener.local_addr().unwrap()
        );
        let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let router = Router::new()
            .route("/services/T000/B000/alert-sink-token", post(receive))
            .with_state(received.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        AlertSink { url, received }
    }

    /// The `text` of every alert received so far.
    pub fn texts(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|alert| alert["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Waits until `count` alerts have arrived (at most 15 s), then a moment more so that one too
    /// many would have arrived as well.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.texts().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.texts()
    }
}

impl AlertSink {
    /// The alerts after a second without waiting for more: for checking that none (or no further
    /// one) came, once the work that could have raised it has been seen done.
    pub async fn settled(&self) -> Vec<String> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.texts()
    }
}

async fn receive(
    State(received): State<Arc<Mutex<Vec<serde_json::Value>>>>,
    Json(alert): Json<serde_json::Value>,
) -> &'static str {
    received.lock().unwrap().push(alert);
    "ok"
}
