//! Helpers for the inbound-SMS webhook: texts to a business number as Twilio delivers them, and
//! the texts the worker sent to one phone.
use crate::app::TestApp;
use crate::{SMS_PATH, TWILIO_NUMBER};
use std::time::{Duration, Instant};
use twilio_double::{InboundSms, RecordedRequest};

impl TestApp {
    /// Twilio delivers `sms` to the number's "A message comes in" webhook, signed.
    pub async fn deliver_sms(&self, sms: &InboundSms) -> (u16, String) {
        let url = format!("{}{SMS_PATH}", self.address);
        self.twilio.deliver_sms(&url, sms).await
    }

    /// A text from `from` to TWILIO_NUMBER, delivered; returns it (to deliver again, say).
    pub async fn text_number(&self, from: &str, body: &str) -> InboundSms {
        let sms = self.twilio.inbound_sms(from, TWILIO_NUMBER, body);
        let (status, reply) = self.deliver_sms(&sms).await;
        assert_eq!(status, 200, "{reply}");
        sms
    }

    /// Waits until `count` texts have gone to `to`, then a moment more so that one too many would
    /// have arrived as well.
    pub async fn wait_for_texts_to(&self, to: &str, count: usize) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.twilio.messages_to(to).len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.twilio.messages_to(to)
    }
}
