//! The fallback: every minute, ask Twilio about calls whose `<Dial action>` callback never came, and
//! hand the missed ones to the same missed-call handler the fast path uses.
//!
//! `verdict` reads Twilio's answer, `reconcile` picks the calls the database never saw out of
//! Twilio's Calls list, `recovery` whether a text in doubt went out, `budget` keeps a run inside its
//! subrequest limit; this file is the run itself: reconcile (every 5 minutes), lease, look up, hand
//! over, hand back. From twenty calls to look up, one listing of the account's recent calls (a
//! request per thousand) decides them instead of a lookup each. The leased calls are worked in
//! batches of up to a hundred, each call's worst case reserved in the budget before its batch
//! starts: Twilio is asked `POLL_CONCURRENCY` (5) calls at a time, and the database a statement per
//! kind of decision for the whole batch.
use crate::alerts;
use crate::config::{Config, PollSettings, TwilioConfig};
use crate::database::{Client, DbError};
use crate::domain::business::render_sms;
use crate::domain::{CallRef, DialStatus, Outcome, ProcessedBy};
use crate::http::HttpClient;
use crate::log::Log;
use crate::missed_call::{handle_missed_calls, Missed, TextOutcome, Texting};
use crate::store::calls::{self, settle_without_text};
use crate::store::poll::{self as store, DueCall};
use crate::store::poll_runs::{self, Trigger};
use crate::store::poll_state;
use crate::store::{each_alone_on_failure, per_item};
use crate::twilio::rest::{self, Failure};
use crate::{error, info, warn};
use budget::Counted;
use futures::stream::{self, StreamExt};
use jiff::Timestamp;
use recovery::{sent_text, SentText};
use serde::{Deserialize, Serialize};
use verdict::{verdict_from_children, verdict_from_parent, Verdict};

pub mod budget;
pub mod reconcile;
pub mod recovery;
pub mod verdict;

const LOG: Log = Log("[Check Missed Calls]");
/// The design document's line for a missed call the fallback found.
const FALLBACK: Log = Log("[Check Missed Calls - FALLBACK]");

/// Longer than the slowest batch can take (each of its hundred calls' requests at its 10 s
/// timeout, five at a time: about 13 minutes), so a lease only lapses when its run died: each batch
/// renews its calls' leases as it starts, and a run hands back every lease when it is done.
const LEASE_SECS: u32 = 15 * 60;

/// `poll_state.job` of reconciliation.
const RECONCILE_JOB: &str = "reconcile";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollSummary {
    pub checked: u32,
    pub texted: u32,
    pub answered: u32,
    /// Nobody has picked up (or accepted a screened forward) yet: looked at again after a backoff.
    pub in_progress: u32,
    /// Twilio does not know the call (404/20404, or 403/20008 for test credentials): settled for good.
    pub cleaned_up: u32,
    pub expired: u32,
    /// Texts whose send looked failed but which Twilio shows as sent: recorded, not resent.
    pub recovered: u32,
    /// Texts that failed for good (21610 …) or could not be sent (no caller ID).
    pub failed: u32,
    /// Missed calls a rule of their number kept from a text (blocked, cooldown, daily limit …).
    pub suppressed: u32,
    /// Texts that wait for the end of their number's quiet hours.
    pub quiet_deferred: u32,
    /// Retryable problems (429, 5xx, timeouts, a database error on that call): those calls are
    /// retried on a later tick.
    pub errors: u32,
    /// Due calls this run leased but left for the next tick because its Twilio budget ran out.
    pub deferred: u32,
    /// Calls Twilio listed that the database never saw (Phase 1 and 2 could not reach it):
    /// recorded by reconciliation, to be decided like any other.
    pub reconciled: u32,
    /// The run leased as many calls as its budget allows, so more may be waiting behind them.
    pub more_due: bool,
    pub twilio_requests: u32,
}

/// A whole poll run, as the cron trigger and the endpoint start it: its row in `poll_runs` (the
/// heartbeat), the cron alert when the run finds the poll was quiet too long before it, the run,
/// and the alerts on what it found. The heartbeat's records are best effort: a run that cannot
/// write them still texts. Alert POSTs are subrequests too: at most two a run, which the default
/// Twilio budget (45 of the Free plan's 50) leaves room for.
pub async fn run(
    db: &Client,
    http: &impl HttpClient,
    config: &Config,
    trigger: Trigger,
    now_ms: u64,
) -> Result<PollSummary, DbError> {
    let monitoring = &config.monitoring;
    let started = match poll_runs::start(db, trigger).await {
        Ok(started) => Some(started),
        Err(error) => {
            warn!(LOG, "Could not record the run's start: {error}");
            None
        }
    };
    if let Some(started) = &started {
        let noticed = format!(" A poll run ({}) has started now.", trigger.as_str());
        let before = &started.before;
        if let Err(error) = alerts::cron_stale(db, http, monitoring, before, &noticed).await {
            warn!(LOG, "Could not raise the cron alert: {error}");
        }
    }
    let id = started.map(|s| s.id);
    let texting = Texting {
        config,
        now: Timestamp::from_millisecond(now_ms as i64).unwrap_or(Timestamp::UNIX_EPOCH),
    };
    let outcome = check_missed_calls(db, http, &texting).await;
    let recorded = match (&outcome, id) {
        (Ok(summary), Some(id)) => {
            let json = serde_json::to_string(summary).unwrap_or_default();
            poll_runs::finish(db, id, &json).await
        }
        (Err(failure), Some(id)) => poll_runs::fail(db, id, &failure.to_string()).await,
        (_, None) => Ok(()),
    };
    if let Err(error) = recorded {
        warn!(LOG, "Could not record the run's end: {error}");
    }
    match &outcome {
        Ok(summary) if summary.failed > 0 => {
            if let Err(error) = alerts::after_delivery_failure(db, http, monitoring).await {
                warn!(LOG, "Could not count the last hour's failed texts: {error}");
            }
        }
        Ok(_) => {}
        Err(failure) => {
            error!(LOG, "The run failed: {failure}");
            alerts::poll_failed(Some(db), http, monitoring, now_ms).await;
        }
    }
    outcome
}

pub async fn check_missed_calls(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
) -> Result<PollSummary, DbError> {
    let (twilio, settings) = (&texting.config.twilio, &texting.config.poll);
    let mut summary = PollSummary {
        expired: store::expire_overdue(db, settings.max_call_age_secs).await? as u32,
        ..PollSummary::default()
    };
    let http = Counted::new(http);
    if let Err(error) = reconcile(db, &http, twilio, settings, &mut summary).await {
        summary.errors += 1;
        error!(
            LOG,
            "Database error while reconciling: {error}; trying it again in {} s",
            reconcile::EVERY_SECS
        );
    }
    let due = store::lease_due(
        db,
        settings.twilio_budget,
        settings.callback_grace_secs,
        LEASE_SECS,
    )
    .await?;
    info!(LOG, "Found {} calls to check", due.len());
    summary.more_due = due.len() as u32 == settings.twilio_budget;
    work_leased(db, &http, texting, &due, &mut summary).await?;
    info!(
        LOG,
        "Done: {}",
        serde_json::to_string(&summary).unwrap_or_default()
    );
    Ok(summary)
}

/// What the queue's check of a batch of calls did: the counts, and the calls it leased but found no
/// budget left for, which are worth delivering again at once.
#[derive(Debug, Default)]
pub struct ListedCheck {
    pub summary: PollSummary,
    pub deferred: Vec<String>,
}

/// The queue consumer's check (`routes::checks`): leases those of `call_sids` that are due, by the
/// poll's own lease, and works them as a poll run works its leased calls (`work_leased`), inside the
/// same Twilio budget per invocation. The calls it does not lease (settled, not due yet, leased by
/// a run at work) are left alone, so a check delivered twice works its call once, and the poll
/// stays the safety net of every call. `work_leased` takes the calls in order and defers the tail
/// it cannot afford: the deferred calls are the last `summary.deferred` leased.
pub async fn check_listed(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    call_sids: &[String],
) -> Result<ListedCheck, DbError> {
    let grace = texting.config.poll.callback_grace_secs;
    let due = store::lease_listed(db, call_sids, grace, LEASE_SECS).await?;
    let mut summary = PollSummary::default();
    work_leased(db, &Counted::new(http), texting, &due, &mut summary).await?;
    let deferred = due[due.len() - summary.deferred as usize..]
        .iter()
        .map(|d| d.call.call_sid.clone())
        .collect();
    Ok(ListedCheck { summary, deferred })
}

/// Works leased calls inside the run's Twilio budget (`http` counts what the run already spent),
/// a batch at a time, then hands every lease back.
async fn work_leased<H: HttpClient>(
    db: &Client,
    http: &Counted<'_, H>,
    texting: &Texting<'_>,
    due: &[DueCall],
    summary: &mut PollSummary,
) -> Result<(), DbError> {
    let budget = texting.config.poll.twilio_budget;
    let known = list_verdicts(http, &texting.config.twilio, due, budget).await;
    let mut rest = due;
    let mut known_rest = &known[..];
    while !rest.is_empty() {
        // Every request of the batches before has finished, so the budget left is exact: a batch
        // takes, oldest first, the calls whose worst cases all fit in it, so a run never passes
        // its budget however the calls of a batch interleave.
        let mut committed = http.sent();
        let take = rest
            .iter()
            .take(BATCH)
            .zip(known_rest)
            .take_while(|(due, known)| {
                let lookups = match known {
                    Some(_) => budget::DECIDED,
                    None => budget::worst_case(due.owed, due.verify_since.is_some()),
                };
                let cost = lookups + budget::rule_requests(due.business.as_ref());
                let fits = budget::fits(committed, cost, budget);
                committed += if fits { cost } else { 0 };
                fits
            })
            .count();
        if take == 0 {
            summary.deferred = rest.len() as u32;
            info!(
                LOG,
                "Twilio budget of {budget} requests used up: {} calls wait for the next tick",
                summary.deferred
            );
            break;
        }
        let (batch, later) = rest.split_at(take);
        let (batch_known, known_later) = known_rest.split_at(take);
        summary.checked += take as u32;
        work_batch(db, http, texting, batch, batch_known, summary).await;
        (rest, known_rest) = (later, known_later);
    }
    // Every lease goes back, whatever became of its call: a settled call is no longer due, and the
    // rest (still ringing, deferred, owed a retry, hit by an error) come due again by their own
    // clocks (next_lookup_at, next_attempt_at), not when a lease would run out.
    let leased: Vec<String> = due.iter().map(|d| d.call.call_sid.clone()).collect();
    store::release_leases(db, &leased).await?;
    summary.twilio_requests = http.sent();
    Ok(())
}

/// From this many calls to look up, one listing of the account's recent calls decides them: a page
/// of a thousand calls costs one request where their lookups cost one to three each. Below it, the
/// lookups are cheaper than reading a page of the account's other calls.
const LIST_FROM: usize = 20;
/// Calls on a page of the listing (Twilio's most).
const LIST_PAGE_SIZE: u32 = 1000;
/// The listing reaches this far before the oldest call to look up (clocks differ).
const LIST_MARGIN_SECS: u32 = 60;

/// The verdicts one listing of the account's calls gives for the leased calls that need a lookup,
/// aligned with `due` (None: look it up on its own). Pages newest first until the oldest of them
/// is passed, at most one page per hundred calls, inside the budget; a page Twilio fails ends the
/// listing, and the pages read still decide the calls they hold.
async fn list_verdicts<H: HttpClient>(
    http: &Counted<'_, H>,
    twilio: &TwilioConfig,
    due: &[DueCall],
    budget: u32,
) -> Vec<Option<Verdict>> {
    let mut known = vec![None; due.len()];
    let undecided: Vec<(usize, &DueCall)> = due
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.owed && !d.accepted)
        .collect();
    let Some(oldest) = undecided.iter().map(|(_, d)| d.received_at).min() else {
        return known;
    };
    if undecided.len() < LIST_FROM {
        return known;
    }
    let most_pages = undecided.len().div_ceil(100);
    let since = reconcile::start_day(oldest, LIST_MARGIN_SECS);
    let mut request = rest::list_calls_since(twilio, &since, LIST_PAGE_SIZE);
    let mut listed = Vec::new();
    let mut pages = 0;
    while budget::fits(http.sent(), 1, budget) {
        let page = match rest::parse_call_page(http.send(request).await) {
            Ok(page) => page,
            Err(failure) => {
                warn!(
                    LOG,
                    "Could not list Twilio's calls ({failure}): looking the rest up one by one"
                );
                break;
            }
        };
        pages += 1;
        let passed = reconcile::reaches_past_age(&page.calls, oldest, LIST_MARGIN_SECS);
        listed.extend(page.calls);
        match page.next_page_uri {
            Some(uri) if !passed && pages < most_pages => request = rest::next_page(twilio, &uri),
            _ => break,
        }
    }
    let asked: Vec<(&str, bool)> = undecided
        .iter()
        .map(|(_, d)| (d.call.call_sid.as_str(), d.screened))
        .collect();
    let verdicts = verdict::verdicts_from_list(&listed, &asked);
    let decided = verdicts.iter().filter(|v| v.is_some()).count();
    for ((index, _), verdict) in undecided.iter().zip(verdicts) {
        known[*index] = verdict;
    }
    info!(
        LOG,
        "Listed {} of Twilio's calls ({pages} pages): {decided} of {} calls decided without a lookup of their own",
        listed.len(),
        undecided.len()
    );
    known
}

/// The most calls worked together. A batch costs a handful of statements whatever its size
/// (`work_batch`), so a hundred calls keep a tick's round trips far under a tenth of its calls,
/// and its first texts go out after a hundred lookups (about 3 s against Twilio), not a whole
/// lease's.
const BATCH: usize = 100;

/// What a leased call needs after Twilio was asked about it.
enum Step {
    /// Text the caller: a missed call (with the dial status the lookup found) or an owed text.
    Text(Option<DialStatus>),
    Answered,
    /// Twilio does not know the call (404/20404, or 403/20008 for test credentials).
    NotFound,
    /// Still ringing, or a screened forward nobody has accepted yet: look again after a backoff.
    Undecided,
    /// Twilio could not be asked: look again after a backoff.
    LookupFailed,
    /// A text in doubt had gone out after all: adopted, not sent again.
    Recovered,
    /// Whether a text in doubt went out cannot be told yet: asked again on a later tick.
    InDoubt,
    /// A person accepted the screened forward: settled as answered.
    Accepted,
    /// Another path settled the call meanwhile.
    Done,
}

/// Works a batch of leased calls: asks Twilio about each (`POLL_CONCURRENCY` at a time), then
/// settles them with one statement per kind — the missed ones through the missed-call handler
/// (claim, reservation and record: a statement each for the whole batch), the answered and
/// unknown ones, the ones to look at again. A database error is the call's whose rows it hit
/// (`store::each_alone_on_failure`): counted, and the call tried again on a later tick.
async fn work_batch(
    db: &Client,
    http: &impl HttpClient,
    texting: &Texting<'_>,
    batch: &[DueCall],
    known: &[Option<Verdict>],
    summary: &mut PollSummary,
) {
    let twilio = &texting.config.twilio;
    let concurrency = texting.config.poll.concurrency.max(1) as usize;
    let leased: Vec<&str> = batch.iter().map(|d| d.call.call_sid.as_str()).collect();
    if let Err(failure) = store::renew_leases(db, &leased, LEASE_SECS).await {
        warn!(
            LOG,
            "Could not renew the leases of {} calls: {failure}",
            leased.len()
        );
    }
    // In the order they finish, so one slow answer holds up no other call's request.
    let mut steps: Vec<(usize, Result<Step, DbError>)> =
        stream::iter(batch.iter().zip(known).enumerate())
            .map(|(index, (due, known))| async move {
                (index, next_step(db, http, twilio, due, known.clone()).await)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    steps.sort_by_key(|(index, _)| *index);
    let steps: Vec<Result<Step, DbError>> = steps.into_iter().map(|(_, step)| step).collect();
    let mut missed = Vec::new();
    let mut settle = Vec::new();
    let mut back_off = Vec::new();
    let completed = DialStatus::Completed;
    for (due, step) in batch.iter().zip(&steps) {
        let call = &due.call;
        match step {
            Ok(Step::Text(status)) => missed.push(Missed {
                call,
                dial_status: status.as_ref(),
            }),
            Ok(Step::Answered) => {
                settle.push((call, Outcome::Answered, Some(&completed)));
                summary.answered += 1;
            }
            Ok(Step::NotFound) => {
                settle.push((call, Outcome::NotFound, None));
                summary.cleaned_up += 1;
            }
            Ok(Step::Undecided) => {
                back_off.push(call);
                summary.in_progress += 1;
            }
            Ok(Step::LookupFailed) => {
                back_off.push(call);
                summary.errors += 1;
            }
            Ok(Step::Recovered) => summary.recovered += 1,
            Ok(Step::InDoubt) => summary.errors += 1,
            Ok(Step::Accepted) => summary.answered += 1,
            Ok(Step::Done) => {}
            Err(failure) => database_error(summary, call, failure),
        }
    }
    let texted = handle_missed_calls(db, http, texting, &missed, ProcessedBy::Poll).await;
    for (missed, outcome) in missed.iter().zip(texted) {
        match outcome {
            Ok(outcome) => count_text(outcome, summary),
            Err(failure) => database_error(summary, missed.call, &failure),
        }
    }
    let settled = each_alone_on_failure(db, &settle, |some| {
        settle_without_text(db, some, ProcessedBy::Poll)
    })
    .await;
    for ((call, _, _), settled) in settle.iter().zip(settled) {
        if let Err(failure) = settled {
            database_error(summary, call, &failure);
        }
    }
    let sids: Vec<&str> = back_off.iter().map(|c| c.call_sid.as_str()).collect();
    let backed_off = each_alone_on_failure(db, &sids, |some| {
        per_item(some, store::back_off_lookup(db, some))
    })
    .await;
    for (call, backed_off) in back_off.iter().zip(backed_off) {
        if let Err(failure) = backed_off {
            database_error(summary, call, &failure);
        }
    }
}

/// A database error on one call: counted, logged, and the call tried again on a later tick.
fn database_error(summary: &mut PollSummary, call: &CallRef, failure: &DbError) {
    summary.errors += 1;
    error!(
        LOG,
        "Database error while checking {}: {failure}; trying it again on a later tick",
        call.call_sid
    );
}

/// Every `reconcile::EVERY_SECS`, one run lists the account's calls back to their maximum age and
/// records those the database never saw (an outage that kept both Phase 1 and Phase 2 from it), so
/// the verdict texts the missed ones. Costs a request per page, whatever the number of numbers,
/// and at most a third of the run's budget.
async fn reconcile(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    settings: &PollSettings,
    summary: &mut PollSummary,
) -> Result<(), DbError> {
    let Some(now) = poll_state::claim_run(db, RECONCILE_JOB, reconcile::EVERY_SECS).await? else {
        return Ok(());
    };
    let max_age = settings.max_call_age_secs;
    let since = reconcile::start_day(now, max_age);
    let mut request = rest::list_calls_since(twilio, &since, reconcile::PAGE_SIZE);
    let mut pages = 0;
    loop {
        pages += 1;
        let page = match rest::parse_call_page(http.send(request).await) {
            Ok(page) => page,
            Err(failure) => {
                summary.errors += 1;
                warn!(LOG, "Reconciliation could not list Twilio's calls ({failure}): trying again in {} s", reconcile::EVERY_SECS);
                return Ok(());
            }
        };
        let recorded = store::record_unseen(
            db,
            &reconcile::inbound_within_age(&page.calls, now, max_age),
        )
        .await?;
        if !recorded.is_empty() {
            warn!(
                LOG,
                "Reconciliation: {} calls the database never saw recorded from Twilio's list: {}",
                recorded.len(),
                recorded.join(", ")
            );
        }
        summary.reconciled += recorded.len() as u32;
        let next = page
            .next_page_uri
            .filter(|_| !reconcile::reaches_past_age(&page.calls, now, max_age));
        match next {
            None => break,
            Some(_) if pages >= reconcile::page_budget(settings.twilio_budget) => {
                warn!(LOG, "Reconciliation stopped after {pages} pages of Twilio's calls (its share of the budget): older calls are not looked at");
                break;
            }
            Some(uri) => request = rest::next_page(twilio, &uri),
        }
    }
    info!(
        LOG,
        "Reconciliation: {pages} pages of calls since {since} listed, {} recorded",
        summary.reconciled
    );
    Ok(())
}

/// Asks Twilio what became of one leased call (unless the run's listing told it: `known`), and
/// takes the steps of its own a call may need first: a text in doubt is looked for at Twilio (and adopted, or cleared to be sent again), an
/// accepted screened forward is settled as answered.
async fn next_step(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    due: &DueCall,
    known: Option<Verdict>,
) -> Result<Step, DbError> {
    let call = &due.call;
    if due.owed {
        if let Some(claimed_at) = due.verify_since {
            match already_sent(db, http, twilio, due, claimed_at).await? {
                Some(true) => return Ok(Step::Recovered),
                Some(false) => calls::record_not_sent(db, &call.call_sid).await?,
                None => return Ok(Step::InDoubt),
            }
        }
        info!(LOG, "Retrying the owed text for {}", call.call_sid);
        return Ok(Step::Text(None));
    }
    if due.accepted {
        // A person pressed a key on the screened forward: answered, and Twilio need not be asked.
        let settled =
            calls::settle_if_accepted(db, &call.call_sid, ProcessedBy::Poll, None).await?;
        return Ok(if settled { Step::Accepted } else { Step::Done });
    }
    let verdict = match known {
        Some(verdict) => Ok(verdict),
        None => lookup(http, twilio, &call.call_sid, due.screened).await,
    };
    Ok(match verdict {
        Ok(Verdict::Missed { status }) => {
            info!(
                FALLBACK,
                "Missed call detected: {} ({status})", call.call_sid
            );
            Step::Text(Some(status))
        }
        Ok(Verdict::Answered) => Step::Answered,
        Ok(Verdict::Undecided) => Step::Undecided,
        Err(Failure::Final { status, code, .. }) => {
            warn!(
                LOG,
                "Twilio does not know {} (HTTP {status}, code {}): cleaned up",
                call.call_sid,
                code.map_or("none".to_string(), |c| c.to_string())
            );
            Step::NotFound
        }
        Err(failure) => {
            warn!(
                LOG,
                "Lookup of {} failed ({failure}): retrying on a later tick", call.call_sid
            );
            Step::LookupFailed
        }
    })
}

/// Looks at Twilio for a text whose send ended ambiguously (or whose claim a crash left behind),
/// claimed at `claimed_at`, and adopts it if it went out. `None`: Twilio could not be asked, or
/// could not tell; try again on a later tick rather than risk a second text.
async fn already_sent(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    due: &DueCall,
    claimed_at: i64,
) -> Result<Option<bool>, DbError> {
    let call = &due.call;
    // A withheld caller is never claimed for a text, and a deleted number is never texted again:
    // either way nothing would be sent, so there is nothing to look for.
    let (Some(caller), Some(business)) = (call.from.textable(), &due.business) else {
        return Ok(Some(false));
    };
    let request = rest::list_messages(twilio, caller, &call.to);
    let page = match rest::parse_message_page(http.send(request).await) {
        Ok(page) => page,
        Err(failure) => {
            warn!(
                LOG,
                "Could not check whether the text for {} went out ({failure}): asking again on a later tick",
                call.call_sid
            );
            return Ok(None);
        }
    };
    let body = due
        .sms_body
        .clone()
        .unwrap_or_else(|| render_sms(&business.sms_template, &business.business_name, ""));
    let candidates = match sent_text(&page, claimed_at, &body) {
        SentText::Found(candidates) => candidates,
        SentText::NotSent => return Ok(Some(false)),
        SentText::Unknown => {
            warn!(
                LOG,
                "Cannot tell whether the text for {} went out: the newest {} messages to the caller are all newer than its claim; asking again on a later tick",
                call.call_sid,
                page.messages.len()
            );
            return Ok(None);
        }
    };
    for sid in &candidates {
        if calls::adopt_sent_message(db, &call.call_sid, sid).await? {
            info!(
                LOG,
                "The text for {} had gone out after all ({sid}): not sending it again",
                call.call_sid
            );
            return Ok(Some(true));
        }
    }
    Ok(Some(false))
}

async fn lookup(
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    call_sid: &str,
    screened: bool,
) -> Result<Verdict, Failure> {
    let legs = || async {
        let page =
            rest::parse_call_page(http.send(rest::list_child_calls(twilio, call_sid)).await)?;
        Ok::<_, Failure>(verdict_from_children(&page.calls, screened))
    };
    if let Some(verdict) = legs().await? {
        return Ok(verdict);
    }
    let parent = rest::parse_call(http.send(rest::fetch_call(twilio, call_sid)).await)?;
    match verdict_from_parent(&parent) {
        Verdict::Undecided => Ok(Verdict::Undecided),
        // The legs were read before the parent: a forward that started and ended in between
        // (answered, even) is only on the list now. Read once the parent is over, no leg means
        // none was ever dialled.
        over => Ok(legs().await?.unwrap_or(over)),
    }
}

fn count_text(outcome: TextOutcome, summary: &mut PollSummary) {
    match outcome {
        TextOutcome::Sent { .. } => summary.texted += 1,
        TextOutcome::AlreadyHandled => {}
        TextOutcome::Owed { .. } => summary.errors += 1,
        TextOutcome::Failed { .. } | TextOutcome::Unsendable { .. } => summary.failed += 1,
        TextOutcome::Skipped { .. } => summary.suppressed += 1,
        TextOutcome::Deferred { .. } => summary.quiet_deferred += 1,
    }
}
