//! The missed-call handler: the one function both the fast path and the poll hand a missed call to.
//! It claims the call (the dedup), then sends, then records; the steps are separate so a crash in
//! between leaves a visible `sending` row rather than a silent gap.
use crate::config::TwilioConfig;
use crate::database::{Client, DbError};
use crate::domain::business::render_sms;
use crate::domain::{CallRef, DialStatus, Outcome, ProcessedBy};
use crate::http::HttpClient;
use crate::log::Log;
use crate::store::calls;
use crate::twilio::rest::{self, Failure, Tracking};
use crate::{error, info, warn};

const LOG: Log = Log("[Missed Call Handler]");

/// After this many failed sends a text is given up as `failed`.
pub const MAX_SMS_ATTEMPTS: i32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextOutcome {
    Sent {
        message_sid: String,
    },
    AlreadyHandled,
    /// Nothing to send to: a withheld caller ID, the business's own phone, or the business
    /// number was deleted meanwhile.
    Unsendable {
        reason: &'static str,
    },
    Owed {
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Seconds until the next try of a retryable failure: 1, 2, 4, 8 minutes.
pub fn retry_backoff_secs(attempt: i32) -> i32 {
    60 * (1 << (attempt.clamp(1, 8) - 1))
}

pub async fn handle_missed_call(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    call: &CallRef,
    by: ProcessedBy,
    dial_status: Option<&DialStatus>,
) -> Result<TextOutcome, DbError> {
    let Some(caller) = call.from.textable() else {
        calls::settle_without_text(db, call, by, Outcome::NoCallerId, dial_status).await?;
        warn!(
            LOG,
            "No textable caller ID ({}) for {}: not texting",
            call.from.masked(),
            call.call_sid
        );
        return Ok(TextOutcome::Unsendable {
            reason: Outcome::NoCallerId.as_str(),
        });
    };

    let Some(claim) = calls::claim_for_text(db, call, by, dial_status).await? else {
        if let Err(error) = calls::count_prevented_duplicate(db, &call.call_sid).await {
            // A statistic: never a reason to fail the caller's path.
            warn!(
                LOG,
                "Could not count the prevented duplicate of {}: {error}", call.call_sid
            );
        }
        info!(
            LOG,
            "Deduplication: SMS already sent for this call {}", call.call_sid
        );
        return Ok(TextOutcome::AlreadyHandled);
    };
    if let Some(settled) = claim.settled {
        info!(
            LOG,
            "{} {}: not texting {}",
            caller.masked(),
            match settled {
                Outcome::OptedOut => "opted out of this number's texts (STOP)",
                _ => "is one of the business's own phones",
            },
            call.call_sid
        );
        return Ok(TextOutcome::Unsendable {
            reason: settled.as_str(),
        });
    }
    let Some(business) = &claim.business else {
        calls::record_sms_failure(db, &call.call_sid, "no_business_number", None, false).await?;
        warn!(
            LOG,
            "{} is no longer configured: not texting {}",
            call.to.masked(),
            call.call_sid
        );
        return Ok(TextOutcome::Unsendable {
            reason: "no_business_number",
        });
    };

    info!(
        LOG,
        "Sending SMS to {} for {} (attempt {}, via {})",
        caller.masked(),
        call.call_sid,
        claim.attempt,
        by.as_str()
    );
    let body = render_sms(&business.sms_template, &business.business_name, "");
    let request = rest::send_message(twilio, caller, &call.to, &body, Tracking::Delivery);
    match rest::parse_message(http.send(request).await) {
        Ok(message) => {
            calls::record_sms_sent(db, &call.call_sid, &message.sid).await?;
            info!(
                LOG,
                "SMS sent successfully: {} for {}", message.sid, call.call_sid
            );
            Ok(TextOutcome::Sent {
                message_sid: message.sid,
            })
        }
        Err(failure) if failure.code() == Some(rest::UNSUBSCRIBED) => {
            calls::settle_opted_out_at_twilio(db, call).await?;
            info!(
                LOG,
                "{} has opted out at Twilio (21610): recorded for {}, so no later call texts them",
                caller.masked(),
                call.to.masked()
            );
            Ok(TextOutcome::Unsendable {
                reason: Outcome::OptedOut.as_str(),
            })
        }
        Err(failure) => {
            let error = failure.label();
            let retry_in = match failure {
                Failure::Retryable { .. } if claim.attempt < MAX_SMS_ATTEMPTS => {
                    Some(retry_backoff_secs(claim.attempt))
                }
                _ => None,
            };
            let maybe_sent = failure.may_have_sent();
            calls::record_sms_failure(db, &call.call_sid, &error, retry_in, maybe_sent).await?;
            error!(
                LOG,
                "Failed to send SMS for {}: Twilio error {failure}; {}",
                call.call_sid,
                match retry_in {
                    Some(secs) => format!("will retry in {secs} s"),
                    None => "giving up".to_string(),
                }
            );
            Ok(match retry_in {
                Some(_) => TextOutcome::Owed { error },
                None => TextOutcome::Failed { error },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute() {
        let waits: Vec<i32> = (1..=5).map(retry_backoff_secs).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960]);
    }
}
