//! The fallback: every minute, ask Twilio about calls whose `<Dial action>` callback never came, and
//! hand the missed ones to the same missed-call handler the fast path uses.
use crate::config::{PollSettings, TwilioConfig};
use crate::database::{Client, DbError};
use crate::http::{HttpClient, InboundResponse, OutboundRequest, TransportError};
use crate::log;
use crate::missed_call::{handle_missed_call, TextOutcome};
use crate::store::{self, DueCall, ProcessedBy};
use crate::twilio::rest::{self, Failure};
use serde::Serialize;
use std::cell::Cell;

/// Longer than the slowest run can take (every request at its timeout), so a lease only lapses
/// when its run died; runs hand back what they did not finish.
const LEASE_SECS: u32 = 15 * 60;
/// The most Twilio requests one undecided call can need: child legs, the parent, the text.
const MAX_REQUESTS_PER_CALL: u32 = 3;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct PollSummary {
    pub checked: u32,
    pub texted: u32,
    pub answered: u32,
    pub in_progress: u32,
    /// Twilio does not know the call (404/20404, or 403/20008 for test credentials): settled for good.
    pub cleaned_up: u32,
    pub expired: u32,
    /// Texts whose send looked failed but which Twilio shows as sent: recorded, not resent.
    pub recovered: u32,
    /// Texts that failed for good (21610 …) or could not be sent (no caller ID).
    pub failed: u32,
    /// Retryable problems (429, 5xx, timeouts): those calls are retried on a later tick.
    pub errors: u32,
    /// Due calls this run leased but left for the next tick because its Twilio budget ran out.
    pub deferred: u32,
    /// The run leased as many calls as its budget allows, so more may be waiting behind them.
    pub more_due: bool,
    pub twilio_requests: u32,
}

/// What Twilio says about a call's forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Missed { status: String },
    Answered,
    InProgress,
}

/// Reads the verdict from the `outbound-dial` child legs; `None` means there is no child leg and
/// the parent call decides.
pub fn verdict_from_children(children: &[rest::Call]) -> Option<Verdict> {
    let legs: Vec<&str> = children
        .iter()
        .filter(|c| c.direction.as_deref().is_none_or(|d| d == "outbound-dial"))
        .map(|c| c.status.as_str())
        .collect();
    if legs.is_empty() {
        return None;
    }
    if legs.contains(&"completed") {
        return Some(Verdict::Answered);
    }
    if legs
        .iter()
        .any(|s| matches!(*s, "queued" | "ringing" | "in-progress"))
    {
        return Some(Verdict::InProgress);
    }
    Some(Verdict::Missed {
        status: legs[0].to_string(),
    })
}

/// No child leg: a parent still live may yet dial; a parent that is over hung up before the
/// forward rang, which is a missed lead too.
pub fn verdict_from_parent(parent: &rest::Call) -> Verdict {
    match parent.status.as_str() {
        "queued" | "ringing" | "in-progress" => Verdict::InProgress,
        _ => Verdict::Missed {
            status: "hung-up-before-dial".to_string(),
        },
    }
}

/// Counts every request that reaches Twilio, to keep a run inside its subrequest budget.
pub struct Counted<'a, H> {
    inner: &'a H,
    sent: Cell<u32>,
}

impl<'a, H: HttpClient> Counted<'a, H> {
    pub fn new(inner: &'a H) -> Self {
        Counted {
            inner,
            sent: Cell::new(0),
        }
    }
    pub fn sent(&self) -> u32 {
        self.sent.get()
    }
}

impl<H: HttpClient> HttpClient for Counted<'_, H> {
    async fn send(&self, request: OutboundRequest) -> Result<InboundResponse, TransportError> {
        self.sent.set(self.sent.get() + 1);
        self.inner.send(request).await
    }
}

pub async fn check_missed_calls(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    settings: &PollSettings,
) -> Result<PollSummary, DbError> {
    let mut summary = PollSummary {
        expired: store::expire_overdue_calls(db, settings.max_call_age_secs).await? as u32,
        ..PollSummary::default()
    };
    let due = store::lease_due_calls(
        db,
        settings.twilio_budget,
        settings.callback_grace_secs,
        LEASE_SECS,
    )
    .await?;
    log::info(&format!(
        "[Check Missed Calls] Found {} calls to check",
        due.len()
    ));

    summary.more_due = due.len() as u32 == settings.twilio_budget;
    let http = Counted::new(http);
    let mut handed_back = Vec::new();
    for (index, due_call) in due.iter().enumerate() {
        let worst_case = match (due_call.owed, &due_call.verify_since) {
            (true, None) => 1,
            (true, Some(_)) => 2,
            (false, _) => MAX_REQUESTS_PER_CALL,
        };
        if http.sent() + worst_case > settings.twilio_budget {
            handed_back.extend(due[index..].iter().map(|d| d.call.call_sid.clone()));
            summary.deferred = (due.len() - index) as u32;
            log::info(&format!(
                "[Check Missed Calls] Twilio budget of {} requests used up: {} calls wait for the next tick",
                settings.twilio_budget, summary.deferred
            ));
            break;
        }
        summary.checked += 1;
        if check_one(db, &http, twilio, due_call, &mut summary).await? {
            handed_back.push(due_call.call.call_sid.clone());
        }
    }
    store::release_leases(db, &handed_back).await?;
    summary.twilio_requests = http.sent();
    log::info(&format!(
        "[Check Missed Calls] Done: {}",
        serde_json::to_string(&summary).unwrap_or_default()
    ));
    Ok(summary)
}

/// Works one leased call; returns true when its lease should go back for a later tick.
async fn check_one(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    due: &DueCall,
    summary: &mut PollSummary,
) -> Result<bool, DbError> {
    let call = &due.call;
    if due.owed {
        if let Some(day) = &due.verify_since {
            match already_sent(db, http, twilio, due, day).await? {
                Some(true) => {
                    summary.recovered += 1;
                    return Ok(false);
                }
                Some(false) => {}
                None => {
                    summary.errors += 1;
                    return Ok(true);
                }
            }
        }
        log::info(&format!(
            "[Check Missed Calls] Retrying the owed text for {}",
            call.call_sid
        ));
        count_text(
            handle_missed_call(db, http, twilio, call, ProcessedBy::Poll, None).await?,
            summary,
        );
        return Ok(false);
    }
    let verdict = match lookup(http, twilio, &call.call_sid).await {
        Ok(verdict) => verdict,
        Err(Failure::Final { status, code, .. }) => {
            store::settle_without_text(db, call, ProcessedBy::Poll, "not_found", None).await?;
            log::warn(&format!(
                "[Check Missed Calls] Twilio does not know {} (HTTP {status}, code {}): cleaned up",
                call.call_sid,
                code.map_or("none".to_string(), |c| c.to_string())
            ));
            summary.cleaned_up += 1;
            return Ok(false);
        }
        Err(failure) => {
            summary.errors += 1;
            store::record_lookup_failure(db, &call.call_sid).await?;
            log::warn(&format!(
                "[Check Missed Calls] Lookup of {} failed ({failure}): retrying on a later tick",
                call.call_sid
            ));
            return Ok(false);
        }
    };
    match verdict {
        Verdict::Missed { status } => {
            log::info(&format!(
                "[Check Missed Calls - FALLBACK] Missed call detected: {} ({status})",
                call.call_sid
            ));
            let outcome =
                handle_missed_call(db, http, twilio, call, ProcessedBy::Poll, Some(&status))
                    .await?;
            count_text(outcome, summary);
            Ok(false)
        }
        Verdict::Answered => {
            store::settle_without_text(db, call, ProcessedBy::Poll, "answered", Some("completed"))
                .await?;
            summary.answered += 1;
            Ok(false)
        }
        Verdict::InProgress => {
            summary.in_progress += 1;
            Ok(true)
        }
    }
}

/// Looks at Twilio for a text whose send ended ambiguously (or whose claim a crash left behind),
/// and adopts it if it went out. `None`: Twilio could not be asked; try again on a later tick
/// rather than risk a second text.
async fn already_sent(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    due: &DueCall,
    since_day: &str,
) -> Result<Option<bool>, DbError> {
    let call = &due.call;
    let request = rest::list_messages(twilio, &call.from_number, &call.to_number, since_day);
    let page = match rest::parse_message_page(http.send(request).await) {
        Ok(page) => page,
        Err(failure) => {
            log::warn(&format!(
                "[Check Missed Calls] Could not check whether the text for {} went out ({failure}): asking again on a later tick",
                call.call_sid
            ));
            return Ok(None);
        }
    };
    for message in &page.messages {
        if store::adopt_sent_message(db, &call.call_sid, &message.sid).await? {
            log::info(&format!(
                "[Check Missed Calls] The text for {} had gone out after all ({}): not sending it again",
                call.call_sid, message.sid
            ));
            return Ok(Some(true));
        }
    }
    Ok(Some(false))
}

async fn lookup(
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    call_sid: &str,
) -> Result<Verdict, Failure> {
    let children =
        rest::parse_call_page(http.send(rest::list_child_calls(twilio, call_sid)).await)?;
    if let Some(verdict) = verdict_from_children(&children.calls) {
        return Ok(verdict);
    }
    let parent = rest::parse_call(http.send(rest::fetch_call(twilio, call_sid)).await)?;
    Ok(verdict_from_parent(&parent))
}

fn count_text(outcome: TextOutcome, summary: &mut PollSummary) {
    match outcome {
        TextOutcome::Sent { .. } => summary.texted += 1,
        TextOutcome::AlreadyHandled => {}
        TextOutcome::Owed { .. } => summary.errors += 1,
        TextOutcome::Failed { .. } | TextOutcome::Unsendable { .. } => summary.failed += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(status: &str) -> rest::Call {
        rest::Call {
            sid: "CA2".into(),
            parent_call_sid: Some("CA1".into()),
            status: status.into(),
            direction: Some("outbound-dial".into()),
        }
    }

    #[test]
    fn child_legs_decide() {
        assert_eq!(verdict_from_children(&[]), None);
        assert_eq!(
            verdict_from_children(&[leg("completed")]),
            Some(Verdict::Answered)
        );
        for status in ["no-answer", "busy", "failed", "canceled"] {
            assert_eq!(
                verdict_from_children(&[leg(status)]),
                Some(Verdict::Missed {
                    status: status.into()
                })
            );
        }
        assert_eq!(
            verdict_from_children(&[leg("ringing")]),
            Some(Verdict::InProgress)
        );
        assert_eq!(
            verdict_from_children(&[leg("busy"), leg("completed")]),
            Some(Verdict::Answered)
        );
    }

    #[test]
    fn the_parent_decides_without_a_child_leg() {
        let parent = |status: &str| rest::Call {
            sid: "CA1".into(),
            parent_call_sid: None,
            status: status.into(),
            direction: Some("inbound".into()),
        };
        assert_eq!(
            verdict_from_parent(&parent("in-progress")),
            Verdict::InProgress
        );
        assert_eq!(verdict_from_parent(&parent("ringing")), Verdict::InProgress);
        assert!(matches!(
            verdict_from_parent(&parent("completed")),
            Verdict::Missed { .. }
        ));
    }
}
