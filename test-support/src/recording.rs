//! Helpers for `POST /api/webhooks/twilio/recording`: a voicemail's recording status callback as
//! Twilio posts it (signed by the double, at the URL Phase 2's `<Record>` names, built here
//! independently of the product), the `<Record action>` request, and the recording stored on a call.
use crate::app::{read, Reply, TestApp};
use crate::TWILIO_NUMBER;

pub const RECORDING_PATH: &str = "/api/webhooks/twilio/recording";

/// A voicemail Twilio reports for a call.
pub struct Voicemail<'a> {
    pub call_sid: &'a str,
    pub from: &'a str,
    pub recording_sid: &'a str,
    pub duration_secs: u32,
}

impl Voicemail<'_> {
    /// Where Twilio keeps the recording (no extension, as Twilio sends it).
    pub fn url(&self, app: &TestApp) -> String {
        format!(
            "https://api.twilio.com/2010-04-01/Accounts/{}/Recordings/{}",
            app.twilio.account_sid, self.recording_sid
        )
    }

    /// The callback's query: the caller's and business's numbers, sorted by name.
    pub fn query(&self) -> String {
        format!(
            "?{}",
            serde_urlencoded::to_string([("origFrom", self.from), ("origTo", TWILIO_NUMBER)])
                .unwrap()
        )
    }

    /// The callback's form, without `leave_out`.
    pub fn params(&self, app: &TestApp, leave_out: &str) -> Vec<(&'static str, String)> {
        let params = vec![
            ("AccountSid", app.twilio.account_sid.clone()),
            ("CallSid", self.call_sid.to_string()),
            ("RecordingSid", self.recording_sid.to_string()),
            ("RecordingUrl", self.url(app)),
            ("RecordingStatus", "completed".to_string()),
            ("RecordingDuration", self.duration_secs.to_string()),
            ("RecordingChannels", "1".to_string()),
            ("RecordingSource", "RecordVerb".to_string()),
            (
                "RecordingStartTime",
                "Wed, 25 Nov 2026 19:35:00 +0000".to_string(),
            ),
        ];
        params
            .into_iter()
            .filter(|(name, _)| *name != leave_out)
            .collect()
    }
}

/// What a call row holds of its voicemail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecording {
    pub recording_sid: Option<String>,
    pub recording_url: Option<String>,
    pub recording_duration: Option<i32>,
    pub voicemail_notified: bool,
}

impl TestApp {
    /// Twilio's recording status callback for `voicemail`, signed, without the form parameter
    /// `leave_out` (`""`: all of them).
    pub async fn recording_callback(&self, voicemail: &Voicemail<'_>, leave_out: &str) -> Reply {
        let url = format!("{}{RECORDING_PATH}{}", self.address, voicemail.query());
        let (status, body) = self
            .twilio
            .post_webhook(&url, &voicemail.params(self, leave_out))
            .await;
        Reply {
            status,
            content_type: String::new(),
            body,
            elapsed: std::time::Duration::ZERO,
        }
    }

    /// The same callback posted without a signature.
    pub async fn unsigned_recording_callback(&self, voicemail: &Voicemail<'_>) -> Reply {
        let url = format!("{}{RECORDING_PATH}{}", self.address, voicemail.query());
        let form = serde_urlencoded::to_string(voicemail.params(self, "")).unwrap();
        read(
            self.http
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form),
        )
        .await
    }

    /// The `<Record action>` request Twilio sends when the caller's message ends.
    pub async fn recording_done(&self, voicemail: &Voicemail<'_>) -> Reply {
        let url = format!("{}{RECORDING_PATH}?step=done", self.address);
        let params = [
            ("AccountSid", self.twilio.account_sid.clone()),
            ("CallSid", voicemail.call_sid.to_string()),
            ("CallStatus", "in-progress".to_string()),
            ("Digits", "hangup".to_string()),
            ("RecordingDuration", voicemail.duration_secs.to_string()),
            ("RecordingSid", voicemail.recording_sid.to_string()),
            ("RecordingUrl", voicemail.url(self)),
        ];
        let (status, body) = self.twilio.post_webhook(&url, &params).await;
        Reply {
            status,
            content_type: String::new(),
            body,
            elapsed: std::time::Duration::ZERO,
        }
    }

    pub async fn stored_recording(&self, call_sid: &str) -> Option<StoredRecording> {
        self.db
            .query_opt(
                "SELECT recording_sid, recording_url, recording_duration,
                        voicemail_notified_at IS NOT NULL AS voicemail_notified
                 FROM active_calls WHERE call_sid = $1",
                &[&call_sid],
            )
            .await
            .unwrap()
            .map(|row| StoredRecording {
                recording_sid: row.get("recording_sid"),
                recording_url: row.get("recording_url"),
                recording_duration: row.get("recording_duration"),
                voicemail_notified: row.get("voicemail_notified"),
            })
    }
}
