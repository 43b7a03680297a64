//! The requests Twilio makes to an application, sent by the double: a form POST signed with the
//! account's auth token (`X-Twilio-Signature`), as a message status callback, an inbound SMS, or
//! the requests about a forwarded leg (`<Dial><Number>`): its status callback, its screening URL
//! and the key press of a `<Gather>` there.
use crate::dates::rfc2822;
use crate::TwilioDouble;
use time::OffsetDateTime;

/// The forwarded (child) leg of a caller's call, as the requests about it describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardLeg {
    /// The caller's call (the parent leg).
    pub parent_call_sid: String,
    /// The forwarded leg's own CallSid.
    pub call_sid: String,
    /// The caller ID the forward presents: the caller's number, as `<Dial>` passes it on.
    pub from: String,
    /// The phone the number forwards to.
    pub to: String,
}

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

    /// A forwarded leg of `parent_call_sid` from `from` to `to`, with a CallSid of its own.
    pub fn forward_leg(&self, parent_call_sid: &str, from: &str, to: &str) -> ForwardLeg {
        ForwardLeg {
            parent_call_sid: parent_call_sid.to_string(),
            call_sid: self.next_sid("CA"),
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    /// Posts the `<Number statusCallback>` request for `leg` reaching `status` (`in-progress` for
    /// the `answered` event, `completed`, `no-answer`, `busy`, `failed`, `canceled` for
    /// `completed`) to `url`; `sequence` is its SequenceNumber (0 for the first event).
    pub async fn deliver_dial_status(
        &self,
        url: &str,
        leg: &ForwardLeg,
        status: &str,
        duration_secs: u32,
        sequence: u32,
    ) -> (u16, String) {
        let params = dial_status_params(
            leg,
            &self.account_sid,
            status,
            duration_secs,
            sequence,
            OffsetDateTime::now_utc(),
        );
        self.post_webhook(url, &params).await
    }

    /// Posts the request Twilio makes to `<Number url>` when `leg` is picked up (the screening
    /// TwiML's URL): the standard voice parameters of the forwarded leg.
    pub async fn deliver_screen(&self, url: &str, leg: &ForwardLeg) -> (u16, String) {
        self.post_webhook(url, &leg_params(leg, &self.account_sid, "in-progress"))
            .await
    }

    /// Posts a `<Gather>`'s action request on `leg` after `digits` were pressed.
    pub async fn deliver_gather(&self, url: &str, leg: &ForwardLeg, digits: &str) -> (u16, String) {
        let mut params = leg_params(leg, &self.account_sid, "in-progress");
        params.extend([
            ("Digits".to_string(), digits.to_string()),
            ("msg".to_string(), "Gather End".to_string()),
        ]);
        self.post_webhook(url, &params).await
    }

    /// Posts Twilio's webhook for an SMS from `from` to the account's number `to` to `url`.
    pub async fn deliver_inbound_sms(
        &self,
        url: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> (u16, String) {
        let sms = self.inbound_sms(from, to, body);
        self.deliver_sms(url, &sms).await
    }

    /// An SMS from `from` to the account's number `to`, with a MessageSid of its own, to change
    /// (media, `OptOutType`) and deliver with `deliver_sms`, as often as Twilio would.
    pub fn inbound_sms(&self, from: &str, to: &str, body: &str) -> InboundSms {
        InboundSms {
            message_sid: self.next_sid("SM"),
            from: from.to_string(),
            to: to.to_string(),
            body: body.to_string(),
            media_urls: Vec::new(),
            opt_out_type: None,
        }
    }

    /// Posts Twilio's messaging webhook for `sms` to `url`.
    pub async fn deliver_sms(&self, url: &str, sms: &InboundSms) -> (u16, String) {
        let params = inbound_sms_params(sms, &self.account_sid);
        self.post_webhook(url, &params).await
    }
}

/// An SMS to one of the account's numbers, as its messaging webhook describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// MMS: where Twilio keeps each attachment (`MediaUrl0` …).
    pub media_urls: Vec<String>,
    /// With Advanced Opt-Out, the keyword's kind: `STOP`, `START` or `HELP`.
    pub opt_out_type: Option<String>,
}

/// The standard parameters of a request about the forwarded leg, an outbound-dial call.
fn leg_params(leg: &ForwardLeg, account_sid: &str, status: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", account_sid),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", &leg.call_sid),
        ("CallStatus", status),
        ("Called", &leg.to),
        ("Caller", &leg.from),
        ("Direction", "outbound-dial"),
        ("From", &leg.from),
        ("ParentCallSid", &leg.parent_call_sid),
        ("To", &leg.to),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// What Twilio posts to a `<Number statusCallback>`: the leg's parameters, with its duration once
/// it ended, when the event happened and its place in the sequence of the leg's callbacks.
fn dial_status_params(
    leg: &ForwardLeg,
    account_sid: &str,
    status: &str,
    duration_secs: u32,
    sequence: u32,
    at: OffsetDateTime,
) -> Vec<(String, String)> {
    let mut params = leg_params(leg, account_sid, status);
    params.extend([
        (
            "CallbackSource".to_string(),
            "call-progress-events".to_string(),
        ),
        ("Timestamp".to_string(), rfc2822(at)),
        ("SequenceNumber".to_string(), sequence.to_string()),
    ]);
    if status != "in-progress" {
        params.extend([
            ("CallDuration".to_string(), duration_secs.to_string()),
            (
                "Duration".to_string(),
                duration_secs.div_ceil(60).to_string(),
            ),
        ]);
    }
    params
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
fn inbound_sms_params(sms: &InboundSms, account_sid: &str) -> Vec<(String, String)> {
    let count = sms.media_urls.len().to_string();
    let mut params: Vec<(String, String)> = [
        ("MessageSid", sms.message_sid.as_str()),
        ("SmsSid", &sms.message_sid),
        ("SmsMessageSid", &sms.message_sid),
        ("SmsStatus", "received"),
        ("AccountSid", account_sid),
        ("From", &sms.from),
        ("To", &sms.to),
        ("Body", &sms.body),
        ("NumMedia", &count),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (index, url) in sms.media_urls.iter().enumerate() {
        params.push((format!("MediaUrl{index}"), url.clone()));
        params.push((format!("MediaContentType{index}"), "image/jpeg".to_string()));
    }
    if let Some(kind) = &sms.opt_out_type {
        params.push(("OptOutType".to_string(), kind.clone()));
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leg_reports_its_duration_only_once_it_ended() {
        let leg = ForwardLeg {
            parent_call_sid: "CA1".into(),
            call_sid: "CA2".into(),
            from: "+1".into(),
            to: "+2".into(),
        };
        let at = OffsetDateTime::UNIX_EPOCH;
        let answered = dial_status_params(&leg, "AC1", "in-progress", 0, 0, at);
        assert!(!answered.iter().any(|(k, _)| k == "CallDuration"));
        let ended = dial_status_params(&leg, "AC1", "completed", 61, 1, at);
        assert!(ended.contains(&("CallDuration".to_string(), "61".to_string())));
        assert!(ended.contains(&("Duration".to_string(), "2".to_string())));
        assert!(ended.contains(&(
            "Timestamp".to_string(),
            "Thu, 01 Jan 1970 00:00:00 +0000".to_string()
        )));
    }

    #[test]
    fn error_code_is_sent_only_when_set() {
        let ok = status_callback_params("SM1", "delivered", "AC1", "+1", "+2", None);
        assert!(!ok.iter().any(|(k, _)| k == "ErrorCode"));
        let failed = status_callback_params("SM1", "undelivered", "AC1", "+1", "+2", Some(30003));
        assert!(failed.contains(&("ErrorCode".to_string(), "30003".to_string())));
        assert!(failed.contains(&("SmsStatus".to_string(), "undelivered".to_string())));
    }
}
