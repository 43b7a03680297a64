//! Helpers for the monitoring endpoints and records: message status callbacks as Twilio posts
//! them, the text's delivery record, the poll's heartbeat, and making monitoring's time pass.
use crate::app::TestApp;
use crate::MESSAGE_STATUS_PATH;

/// A text's record on its call, as the message status webhook leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub sms_sid: Option<String>,
    pub sms_status: Option<String>,
    pub sms_error_code: Option<i32>,
    pub delivered: bool,
    pub dedup_prevented: i32,
}

impl TestApp {
    /// Posts a message status callback, signed as Twilio signs it, for any MessageSid.
    pub async fn message_status(
        &self,
        message_sid: &str,
        status: &str,
        error_code: Option<u32>,
    ) -> (u16, String) {
        let mut params = vec![
            ("MessageSid", message_sid.to_string()),
            ("MessageStatus", status.to_string()),
            ("SmsSid", message_sid.to_string()),
            ("SmsStatus", status.to_string()),
            ("AccountSid", self.twilio.account_sid.clone()),
            ("ApiVersion", "2010-04-01".to_string()),
        ];
        if let Some(code) = error_code {
            params.push(("ErrorCode", code.to_string()));
        }
        let url = format!("{}{MESSAGE_STATUS_PATH}", self.address);
        self.twilio.post_webhook(&url, &params).await
    }

    pub async fn delivery(&self, call_sid: &str) -> Delivery {
        let row = self
            .db
            .query_one(
                "SELECT sms_sid, sms_status, sms_error_code, sms_delivered_at IS NOT NULL AS delivered,
                        dedup_prevented
                 FROM active_calls WHERE call_sid = $1",
                &[&call_sid],
            )
            .await
            .unwrap();
        Delivery {
            sms_sid: row.get("sms_sid"),
            sms_status: row.get("sms_status"),
            sms_error_code: row.get("sms_error_code"),
            delivered: row.get("delivered"),
            dedup_prevented: row.get("dedup_prevented"),
        }
    }

    /// Waits until the call's text has `status` recorded (status callbacks are recorded after
    /// the answer).
    pub async fn wait_for_delivery(&self, call_sid: &str, status: &str) -> Delivery {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let delivery = self.delivery(call_sid).await;
            if delivery.sms_status.as_deref() == Some(status) {
                return delivery;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{call_sid} never got {status}: {delivery:?}\n{}",
                self.worker_log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Makes the poll's heartbeat `seconds` older: every run started and finished that long before.
    pub async fn age_poll_runs(&self, seconds: i32) {
        self.db
            .execute(
                "UPDATE poll_runs SET started_at = started_at - make_interval(secs => $1::int),
                                      finished_at = finished_at - make_interval(secs => $1::int)",
                &[&seconds],
            )
            .await
            .unwrap();
    }

    /// Makes `seconds` pass for the alerts' once-an-hour record.
    pub async fn age_alerts(&self, seconds: i32) {
        self.db
            .execute(
                "UPDATE poll_state SET last_run_at = last_run_at - make_interval(secs => $1::int)
                 WHERE job LIKE 'alert:%'",
                &[&seconds],
            )
            .await
            .unwrap();
    }
}
