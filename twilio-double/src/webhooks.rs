//! The requests Twilio makes to an application, sent by the double: a form POST signed with the
//! account's auth token (`X-Twilio-Signature`), as a message status callback or an inbound SMS.
use crate::TwilioDouble;

impl TwilioDouble {
    /// POSTs `params` to `url` as Twilio posts a webhook: `application/x-www-form-urlencoded`,
    /// signed over `url` and the parameters. Returns the status and body of the answer.
    ///
    /// Panics when nothing answers at `url`: a test that posts a webhook expects a receiver.
    pub async fn post_webhook<K, V>(&self, url: &str, params: &[(K, V)]) -> (u16, String)
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        let form = serde_urlencoded::to_string(&pairs).expect("string pairs always encode");
        let reply = self
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", self.sign(url, &pairs))
            .header("User-Agent", "TwilioProxy/1.1")
            .body(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the webhook POST to {url} got no answer: {e}"));
        let status = reply.status().as_u16();
        let body = reply.text().await.unwrap_or_default();
        (status, body)
    }

    /// Moves message `message_sid` to `status` (`sent`, `delivered`, `undelivered`, `failed` …) and
    /// posts Twilio's status callback for it to the `StatusCallback` its POST named.
    ///
    /// Panics when the message is unknown or was sent without a `StatusCallback`.
    pub async fn deliver_status(
        &self,
        message_sid: &str,
        status: &str,
        error_code: Option<u32>,
    ) -> (u16, String) {
        let (url, from, to) = self.with_message(message_sid, |message| {
            let url = message.status_callback.clone().unwrap_or_else(|| {
                panic!("message {message_sid} was sent without a StatusCallback")
            });
            let field = |name: &str| message.json[name].as_str().unwrap_or_default().to_string();
            (url, field("from"), field("to"))
        });
        self.set_message_status(message_sid, status, error_code);
        let params = status_callback_params(
            message_sid,
            status,
            &self.account_sid,
            &from,
            &to,
            error_code,
        );
        self.post_webhook(&url, &params).await
    }

    /// Posts Twilio's webhook for an SMS from `from` to the account's number `to` to `url`.
    pub async fn deliver_inbound_sms(
        &self,
        url: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> (u16, String) {
        let sid = self.next_sid("SM");
        let params = inbound_sms_params(&sid, &self.account_sid, from, to, body);
        self.post_webhook(url, &params).await
    }
}

/// What Twilio posts to a message's `StatusCallback` when its status changes.
fn status_callback_params(
    message_sid: &str,
    status: &str,
    account_sid: &str,
    from: &str,
    to: &str,
    error_code: Option<u32>,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("MessageSid", message_sid),
        ("MessageStatus", status),
        ("SmsSid", message_sid),
        ("SmsStatus", status),
        ("AccountSid", account_sid),
        ("From", from),
        ("To", to),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(code) = error_code {
        params.push(("ErrorCode".to_string(), code.to_string()));
    }
    params
}

/// What Twilio posts to a number's messaging webhook when an SMS arrives.
fn inbound_sms_params<'a>(
    sid: &'a str,
    account_sid: &'a str,
    from: &'a str,
    to: &'a str,
    body: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("SmsMessageSid", sid),
        ("SmsStatus", "received"),
        ("AccountSid", account_sid),
        ("From", from),
        ("To", to),
        ("Body", body),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_is_sent_only_when_set() {
        let ok = status_callback_params("SM1", "delivered", "AC1", "+1", "+2", None);
        assert!(!ok.iter().any(|(k, _)| k == "ErrorCode"));
        let failed = status_callback_params("SM1", "undelivered", "AC1", "+1", "+2", Some(30003));
        assert!(failed.contains(&("ErrorCode".to_string(), "30003".to_string())));
        assert!(failed.contains(&("SmsStatus".to_string(), "undelivered".to_string())));
    }
}
