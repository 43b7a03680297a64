//! The missed-call handler: the one function both the fast path and the poll hand a missed call to.
//! It claims the call (the dedup), applies the number's rules, reserves the text against the
//! cooldown and the daily limit, then sends, then records; the steps are separate so a crash in
//! between leaves a visible `sending` row rather than a silent gap.
use crate::alerts;
use crate::config::Config;
use crate::database::{Client, DbError};
use crate::domain::hours::Clock;
use crate::domain::owner_notice::missed_call_text;
use crate::domain::rules::{self, CallTiming, Decision, Fate};
use crate::domain::{BusinessNumber, CallRef, DialStatus, Outcome, PhoneNumber, ProcessedBy};
use crate::http::HttpClient;
use crate::line_type::line_type_of;
use crate::log::Log;
use crate::owner_notice::{self, NoticeKind};
use crate::store::calls::{self, Claim, Reservation};
use crate::twilio::rest::{self, Failure, Tracking};
use crate::{error, info, warn};
use jiff::Timestamp;

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
    /// A rule of the number kept the caller from a text (blocked, cooldown, quiet hours …).
    Skipped {
        outcome: Outcome,
    },
    /// Quiet hours: the text is owed at `until` (seconds since the epoch).
    Deferred {
        until: i64,
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

/// What the handler needs besides the database and the HTTP client: Twilio's settings, the
/// monitoring's (the daily limit's alert), and the time of the decision.
pub struct Texting<'a> {
    pub config: &'a Config,
    pub now: Timestamp,
}

impl<'a> Texting<'a> {
    /// Texting at the worker's clock.
    #[cfg(target_arch = "wasm32")]
    pub fn now(config: &'a Config) -> Self {
        let now_ms = crate::edge::now_ms() as i64;
        Texting {
            config,
            now: Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }
}

/// Texts the caller of a missed call, once: claims the call (the dedup, which also settles calls
/// from the business's own phones and opted-out callers), decides by the number's rules
/// (`domain::rules`), reserves the cooldown and the day's count (`calls::reserve_text`), sends,
/// and records.
pub async fn handle_missed_call(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
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
        if let (Outcome::OptedOut, Some(business)) = (settled, &claim.business) {
            let fate = Fate::NotTexted(Outcome::OptedOut);
            tell_owner(db, http, texting, business, call, &fate).await;
        }
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
    let clock = clock_of(business, call);
    let texted = text_by_the_rules(
        db, http, texting, call, caller, &claim, business, &clock, by,
    )
    .await?;
    let fate = match &texted {
        TextOutcome::Sent { .. } => Some(Fate::Texted),
        TextOutcome::Skipped { outcome } => Some(Fate::NotTexted(*outcome)),
        TextOutcome::Deferred { until } => Timestamp::from_second(*until)
            .ok()
            .map(|until| Fate::Deferred(clock.time_of_day(until))),
        TextOutcome::Failed { .. } => Some(Fate::Failed),
        TextOutcome::Unsendable { reason } if *reason == Outcome::OptedOut.as_str() => {
            Some(Fate::NotTexted(Outcome::OptedOut))
        }
        // A retry is owed (the heads-up waits for the end), or another path has the call.
        _ => None,
    };
    if let Some(fate) = fate {
        tell_owner(db, http, texting, business, call, &fate).await;
    }
    Ok(texted)
}

/// The owner's heads-up about a missed call, once per call, when the number has it on: after the
/// caller's text, never in its way; a failure is logged and the caller's outcome stands.
async fn tell_owner(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    business: &BusinessNumber,
    call: &CallRef,
    fate: &Fate,
) {
    if !business.notify_owner {
        return;
    }
    let body = missed_call_text(&call.from, &rules::owner_why(business, &call.from, fate));
    let twilio = &texting.config.twilio;
    let kind = NoticeKind::MissedCall;
    if let Err(error) =
        owner_notice::notify(db, http, twilio, business, &call.call_sid, kind, &body).await
    {
        warn!(
            LOG,
            "Could not give the owner the heads-up about {}: {error}", call.call_sid
        );
    }
}

/// The number's clock. Settings validated when saved that no longer read (a zone gone from the
/// time-zone database) must not cost the caller the text: always open, in UTC.
fn clock_of(business: &BusinessNumber, call: &CallRef) -> Clock {
    business.rules.clock().unwrap_or_else(|problem| {
        error!(
            LOG,
            "The hours of {} cannot be read ({problem}): texting as if always open, in UTC",
            call.to.masked()
        );
        Clock {
            tz: jiff::tz::TimeZone::UTC,
            week: None,
            quiet: None,
        }
    })
}

/// The claimed call's text by the number's rules: skipped, deferred, refused by the cooldown or
/// the daily limit, or sent and recorded.
#[allow(clippy::too_many_arguments)]
async fn text_by_the_rules(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    call: &CallRef,
    caller: &PhoneNumber,
    claim: &Claim,
    business: &BusinessNumber,
    clock: &Clock,
    by: ProcessedBy,
) -> Result<TextOutcome, DbError> {
    let timing = CallTiming {
        received_at: Timestamp::from_second(claim.received_at).unwrap_or(texting.now),
        deferred: claim.deferred,
    };
    let body = match rules::decide(business, clock, caller, timing, texting.now) {
        Decision::Skip(outcome) => {
            calls::settle_skipped(db, call, outcome, None).await?;
            info!(
                LOG,
                "Not texting {} for {}: {outcome}",
                caller.masked(),
                call.call_sid
            );
            return Ok(TextOutcome::Skipped { outcome });
        }
        Decision::Defer { until } => {
            calls::defer_text(db, call, until.as_second()).await?;
            info!(
                LOG,
                "Quiet hours at {}: the text for {} waits until {until}",
                call.to.masked(),
                call.call_sid
            );
            return Ok(TextOutcome::Deferred {
                until: until.as_second(),
            });
        }
        Decision::Text {
            body,
            day,
            check_line_type,
        } => {
            let rules = &business.rules;
            let reserved = calls::reserve_text(
                db,
                call,
                caller,
                rules.cooldown_hours,
                rules.daily_text_limit,
                &day.to_string(),
                &body,
            )
            .await?;
            match reserved {
                // The paid question last: after the free rules, the cooldown and the day's
                // count, which a landline gives back.
                Reservation::Granted if check_line_type => {
                    let twilio = &texting.config.twilio;
                    let answer = line_type_of(db, http, twilio, caller).await;
                    if answer.is_landline() {
                        let day = (!claim.reserved).then(|| day.to_string());
                        let outcome = Outcome::Landline;
                        calls::settle_skipped(db, call, outcome, day.as_deref()).await?;
                        info!(
                            LOG,
                            "Not texting {} for {}: a landline ({})",
                            caller.masked(),
                            call.call_sid,
                            if answer.requested() {
                                "Lookup"
                            } else {
                                "cached"
                            }
                        );
                        return Ok(TextOutcome::Skipped { outcome });
                    }
                    body
                }
                Reservation::Granted => body,
                Reservation::NotClaimed => return Ok(TextOutcome::AlreadyHandled),
                Reservation::Refused(outcome) => {
                    info!(
                        LOG,
                        "Not texting {} for {}: {outcome}",
                        caller.masked(),
                        call.call_sid
                    );
                    if outcome == Outcome::DailyLimit {
                        calls::release_cooldown(db, call).await?;
                        let monitoring = &texting.config.monitoring;
                        if let Err(error) =
                            alerts::daily_limit_reached(db, http, monitoring, business).await
                        {
                            warn!(LOG, "Could not raise the daily limit's alert: {error}");
                        }
                    }
                    return Ok(TextOutcome::Skipped { outcome });
                }
            }
        }
    };

    info!(
        LOG,
        "Sending SMS to {} for {} (attempt {}, via {})",
        caller.masked(),
        call.call_sid,
        claim.attempt,
        by.as_str()
    );
    let twilio = &texting.config.twilio;
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
