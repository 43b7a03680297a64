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
use crate::store::calls::{self, Claim, Reservation, TextToReserve};
use crate::store::{each_alone_on_failure, per_item};
use crate::twilio::rest::{self, Failure, Tracking};
use crate::{error, info, warn};
use futures::stream::{self, StreamExt};
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

/// A missed call handed to the handler: the call, and Twilio's dial status when a callback or a
/// lookup told it.
#[derive(Debug, Clone, Copy)]
pub struct Missed<'a> {
    pub call: &'a CallRef,
    pub dial_status: Option<&'a DialStatus>,
}

/// Texts the caller of one missed call, once: the fast path's way into `handle_missed_calls`.
pub async fn handle_missed_call(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    call: &CallRef,
    by: ProcessedBy,
    dial_status: Option<&DialStatus>,
) -> Result<TextOutcome, DbError> {
    let missed = [Missed { call, dial_status }];
    let mut outcomes = handle_missed_calls(db, http, texting, &missed, by).await;
    outcomes.pop().unwrap_or(Ok(TextOutcome::AlreadyHandled))
}

/// A claimed call on its way to a text, with what the rules decided for it.
struct Granted<'a> {
    index: usize,
    call: &'a CallRef,
    caller: &'a PhoneNumber,
    claim: &'a Claim,
    business: &'a BusinessNumber,
    body: String,
    day: String,
    check_line_type: bool,
}

/// What a send ended in, before it is recorded.
enum Sent {
    Message(String),
    Landline,
    Refused(Failure),
}

/// Each call's outcome so far: None until it is decided.
type Outcomes = Vec<Option<Result<TextOutcome, DbError>>>;

/// Texts the callers of missed calls, each once: claims the calls (the dedup, which also settles
/// calls from the business's own phones and opted-out callers), decides by each number's rules
/// (`domain::rules`), reserves the cooldowns and the days' counts (`calls::reserve_text`), sends
/// (`POLL_CONCURRENCY` at a time), and records. The claim, the reservation and the record of the
/// sent texts are one statement each for all the calls, so a poll's round trips grow with its
/// batches, not its calls; the rarer steps (a withheld caller, a rule's skip, a failure) are
/// statements of their own. Returns each call's outcome, in the order given. A database error is
/// the call's whose rows it hit (`store::each_alone_on_failure`); a call claimed but not recorded
/// waits, visibly `sending`, for the poll's recovery.
pub async fn handle_missed_calls(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    calls: &[Missed<'_>],
    by: ProcessedBy,
) -> Vec<Result<TextOutcome, DbError>> {
    let mut outcomes: Outcomes = calls.iter().map(|_| None).collect();
    let withheld: Vec<_> = calls
        .iter()
        .enumerate()
        .filter(|(_, m)| m.call.from.textable().is_none())
        .map(|(index, m)| (index, (m.call, Outcome::NoCallerId, m.dial_status)))
        .collect();
    let settlements: Vec<_> = withheld.iter().map(|(_, s)| *s).collect();
    let settled = each_alone_on_failure(db, &settlements, |some| {
        calls::settle_without_text(db, some, by)
    })
    .await;
    for ((index, (call, _, _)), settled) in withheld.iter().zip(settled) {
        warn!(
            LOG,
            "No textable caller ID ({}) for {}: not texting",
            call.from.masked(),
            call.call_sid
        );
        outcomes[*index] = Some(settled.map(|_| TextOutcome::Unsendable {
            reason: Outcome::NoCallerId.as_str(),
        }));
    }

    let textable: Vec<_> = calls
        .iter()
        .enumerate()
        .filter_map(|(index, m)| Some((index, m.call, m.call.from.textable()?)))
        .collect();
    let asked: Vec<_> = textable
        .iter()
        .map(|&(index, call, _)| (call, calls[index].dial_status))
        .collect();
    let claims =
        each_alone_on_failure(db, &asked, |some| calls::claim_for_text(db, some, by)).await;
    let lost: Vec<&str> = textable
        .iter()
        .zip(&claims)
        .filter(|(_, claim)| matches!(claim, Ok(None)))
        .map(|((_, call, _), _)| call.call_sid.as_str())
        .collect();
    if let Err(error) = calls::count_prevented_duplicate(db, &lost).await {
        // A statistic: never a reason to fail the caller's path.
        warn!(
            LOG,
            "Could not count {} prevented duplicates: {error}",
            lost.len()
        );
    }

    let mut to_reserve = Vec::new();
    // Each claimed call's number and its clock, for the rules and the owner's heads-up.
    let mut numbers: Vec<Option<(&BusinessNumber, Clock)>> = calls.iter().map(|_| None).collect();
    for (&(index, call, caller), claim) in textable.iter().zip(&claims) {
        let claim = match claim {
            Ok(Some(claim)) => claim,
            Ok(None) => {
                info!(
                    LOG,
                    "Deduplication: SMS already sent for this call {}", call.call_sid
                );
                outcomes[index] = Some(Ok(TextOutcome::AlreadyHandled));
                continue;
            }
            Err(error) => {
                outcomes[index] = Some(Err(error.clone()));
                continue;
            }
        };
        numbers[index] = claim.business.as_ref().map(|b| (b, clock_of(b, call)));
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
            outcomes[index] = Some(Ok(TextOutcome::Unsendable {
                reason: settled.as_str(),
            }));
            continue;
        }
        let Some((business, clock)) = &numbers[index] else {
            let failed =
                calls::record_sms_failure(db, &call.call_sid, "no_business_number", None, false)
                    .await;
            warn!(
                LOG,
                "{} is no longer configured: not texting {}",
                call.to.masked(),
                call.call_sid
            );
            outcomes[index] = Some(failed.map(|()| TextOutcome::Unsendable {
                reason: "no_business_number",
            }));
            continue;
        };
        let timing = CallTiming {
            received_at: Timestamp::from_second(claim.received_at).unwrap_or(texting.now),
            deferred: claim.deferred,
        };
        let decided = match rules::decide(business, clock, caller, timing, texting.now) {
            Decision::Skip(outcome) => {
                info!(
                    LOG,
                    "Not texting {} for {}: {outcome}",
                    caller.masked(),
                    call.call_sid
                );
                let skipped = calls::settle_skipped(db, call, outcome, None).await;
                skipped.map(|()| TextOutcome::Skipped { outcome })
            }
            Decision::Defer { until } => {
                info!(
                    LOG,
                    "Quiet hours at {}: the text for {} waits until {until}",
                    call.to.masked(),
                    call.call_sid
                );
                let deferred = calls::defer_text(db, call, until.as_second()).await;
                deferred.map(|()| TextOutcome::Deferred {
                    until: until.as_second(),
                })
            }
            Decision::Text {
                body,
                day,
                check_line_type,
            } => {
                to_reserve.push(Granted {
                    index,
                    call,
                    caller,
                    claim,
                    business,
                    body,
                    day: day.to_string(),
                    check_line_type,
                });
                continue;
            }
        };
        outcomes[index] = Some(decided);
    }

    let texts = reserve(db, http, texting, to_reserve, &mut outcomes).await;
    let concurrency = texting.config.poll.concurrency.max(1) as usize;
    let sent: Vec<(Granted, Result<Sent, DbError>)> = stream::iter(texts)
        .map(|granted| async move {
            let sent = send(db, http, texting, &granted, by).await;
            (granted, sent)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    record(db, sent, &mut outcomes).await;

    // The owners' heads-ups, after every caller's text and never in its way.
    let notices = calls.iter().enumerate().filter_map(|(index, missed)| {
        let (business, clock) = numbers[index].as_ref()?;
        let fate = fate_of(outcomes[index].as_ref()?.as_ref().ok()?, clock)?;
        Some(tell_owner(db, http, texting, business, missed.call, fate))
    });
    stream::iter(notices)
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or(Ok(TextOutcome::AlreadyHandled)))
        .collect()
}

/// What the owner's heads-up says became of the call; None while a retry is owed (the heads-up
/// waits for the end) or when another path has the call.
fn fate_of(outcome: &TextOutcome, clock: &Clock) -> Option<Fate> {
    match outcome {
        TextOutcome::Sent { .. } => Some(Fate::Texted),
        TextOutcome::Skipped { outcome } => Some(Fate::NotTexted(*outcome)),
        TextOutcome::Deferred { until } => Timestamp::from_second(*until)
            .ok()
            .map(|until| Fate::Deferred(clock.time_of_day(until))),
        TextOutcome::Failed { .. } => Some(Fate::Failed),
        TextOutcome::Unsendable { reason } if *reason == Outcome::OptedOut.as_str() => {
            Some(Fate::NotTexted(Outcome::OptedOut))
        }
        _ => None,
    }
}

/// Reserves the texts the rules allow (one statement); returns those granted, and settles the
/// outcomes of the refused. A refusal by the daily limit gives back the cooldown it took on the
/// way, and raises the number's alert.
async fn reserve<'a>(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    texts: Vec<Granted<'a>>,
    outcomes: &mut Outcomes,
) -> Vec<Granted<'a>> {
    let asked: Vec<TextToReserve> = texts
        .iter()
        .map(|t| TextToReserve {
            call: t.call,
            caller: t.caller,
            cooldown_hours: t.business.rules.cooldown_hours,
            daily_limit: t.business.rules.daily_text_limit,
            day: t.day.clone(),
            body: t.body.clone(),
        })
        .collect();
    let reservations =
        each_alone_on_failure(db, &asked, |some| calls::reserve_text(db, some)).await;
    let mut granted = Vec::with_capacity(texts.len());
    let mut limited = Vec::new();
    for (text, reservation) in texts.into_iter().zip(reservations) {
        let outcome = match reservation {
            Ok(Reservation::Granted) => {
                granted.push(text);
                continue;
            }
            Ok(Reservation::NotClaimed) => Ok(TextOutcome::AlreadyHandled),
            Err(error) => Err(error),
            Ok(Reservation::Refused(outcome)) => {
                info!(
                    LOG,
                    "Not texting {} for {}: {outcome}",
                    text.caller.masked(),
                    text.call.call_sid
                );
                if outcome == Outcome::DailyLimit {
                    limited.push(text);
                    continue;
                }
                Ok(TextOutcome::Skipped { outcome })
            }
        };
        outcomes[text.index] = Some(outcome);
    }
    // The cooldowns the daily limit's refusals took on the way, given back in one statement.
    let calls: Vec<&CallRef> = limited.iter().map(|t| t.call).collect();
    let released = each_alone_on_failure(db, &calls, |some| {
        per_item(some, calls::release_cooldown(db, some))
    })
    .await;
    let mut alerted: Vec<&PhoneNumber> = Vec::new();
    for (text, released) in limited.iter().zip(released) {
        let outcome = Outcome::DailyLimit;
        outcomes[text.index] = Some(released.map(|()| TextOutcome::Skipped { outcome }));
        if !alerted.contains(&&text.business.twilio_number) {
            alerted.push(&text.business.twilio_number);
            let monitoring = &texting.config.monitoring;
            if let Err(error) =
                alerts::daily_limit_reached(db, http, monitoring, text.business).await
            {
                warn!(LOG, "Could not raise the daily limit's alert: {error}");
            }
        }
    }
    granted
}

/// Sends one reserved text, after the paid question when the number asks it (last, after the
/// free rules, the cooldown and the day's count, which a landline gives back).
async fn send(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    text: &Granted<'_>,
    by: ProcessedBy,
) -> Result<Sent, DbError> {
    let (call, caller) = (text.call, text.caller);
    let twilio = &texting.config.twilio;
    if text.check_line_type {
        let answer = line_type_of(db, http, twilio, caller).await;
        if answer.is_landline() {
            let day = (!text.claim.reserved).then_some(text.day.as_str());
            calls::settle_skipped(db, call, Outcome::Landline, day).await?;
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
            return Ok(Sent::Landline);
        }
    }
    info!(
        LOG,
        "Sending SMS to {} for {} (attempt {}, via {})",
        caller.masked(),
        call.call_sid,
        text.claim.attempt,
        by.as_str()
    );
    let request = rest::send_message(twilio, caller, &call.to, &text.body, Tracking::Delivery);
    Ok(match rest::parse_message(http.send(request).await) {
        Ok(message) => Sent::Message(message.sid),
        Err(failure) => Sent::Refused(failure),
    })
}

/// Records what the sends did: the texts that went in one statement, each failure in its own.
async fn record(
    db: &Client,
    sent: Vec<(Granted<'_>, Result<Sent, DbError>)>,
    outcomes: &mut Outcomes,
) {
    let went: Vec<(&str, &str)> = sent
        .iter()
        .filter_map(|(text, sent)| match sent {
            Ok(Sent::Message(sid)) => Some((text.call.call_sid.as_str(), sid.as_str())),
            _ => None,
        })
        .collect();
    let mut recorded = each_alone_on_failure(db, &went, |some| {
        per_item(some, calls::record_sms_sent(db, some))
    })
    .await
    .into_iter();
    for (text, sent) in sent {
        let call = text.call;
        let outcome = match sent {
            Err(error) => Err(error),
            Ok(Sent::Landline) => Ok(TextOutcome::Skipped {
                outcome: Outcome::Landline,
            }),
            Ok(Sent::Message(message_sid)) => {
                let recorded = recorded.next().unwrap_or(Ok(()));
                info!(
                    LOG,
                    "SMS sent successfully: {message_sid} for {}", call.call_sid
                );
                recorded.map(|()| TextOutcome::Sent { message_sid })
            }
            Ok(Sent::Refused(failure)) => refused(db, &text, failure).await,
        };
        outcomes[text.index] = Some(outcome);
    }
}

/// Records a send Twilio refused: 21610 is an opt-out at Twilio; a retryable failure leaves the
/// text owed with a backoff (up to `MAX_SMS_ATTEMPTS`); anything else ends it as failed.
async fn refused(
    db: &Client,
    text: &Granted<'_>,
    failure: Failure,
) -> Result<TextOutcome, DbError> {
    let call = text.call;
    if failure.code() == Some(rest::UNSUBSCRIBED) {
        calls::settle_opted_out_at_twilio(db, call).await?;
        info!(
            LOG,
            "{} has opted out at Twilio (21610): recorded for {}, so no later call texts them",
            text.caller.masked(),
            call.to.masked()
        );
        return Ok(TextOutcome::Unsendable {
            reason: Outcome::OptedOut.as_str(),
        });
    }
    let error = failure.label();
    let attempt = text.claim.attempt;
    let retry_in = match failure {
        Failure::Retryable { .. } if attempt < MAX_SMS_ATTEMPTS => {
            Some(retry_backoff_secs(attempt))
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

/// The owner's heads-up about a missed call, once per call, when the number has it on: after the
/// caller's text, never in its way; a failure is logged and the caller's outcome stands.
async fn tell_owner(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    business: &BusinessNumber,
    call: &CallRef,
    fate: Fate,
) {
    if !business.notify_owner {
        return;
    }
    let body = missed_call_text(&call.from, &rules::owner_why(business, &call.from, &fate));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute() {
        let waits: Vec<i32> = (1..=5).map(retry_backoff_secs).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960]);
    }
}
