//! `POST /api/webhooks/twilio/voice`: Phase 1 (the call comes in: forward it) and Phase 2
//! (`?mode=dial-result`: the forward ended; text the caller if nobody answered). The decisions
//! are in `crate::voice`; this reads the request, asks the database, and answers TwiML whatever
//! happens, so the caller is always connected or told something. After Phase 1's answer a
//! forwarded call's check goes on the `CHECKS` queue, when one is bound (`routes::checks`). Two
//! steps here serve the other Twilio webhooks too: `verified_webhook` (read and check the
//! signature) and `forward_ended` (the work after a forward ended, shared with the status
//! callback).
use crate::alerts;
use crate::config::Config;
use crate::database::{self, DbError};
use crate::domain::{
    BusinessNumber, CallRef, Caller, DialStatus, NumberCache, Outcome, PhoneNumber, ProcessedBy,
};
use crate::edge::{self, now_ms, with_timeout, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::log::Log;
use crate::missed_call::{handle_missed_call, TextOutcome, Texting};
use crate::routes::{checks, VOICE_LOG as LOG, VOICE_WEBHOOK_PATH};
use crate::store::calls;
use crate::twilio::twiml;
use crate::twilio::webhook::{self, Params, Trust};
use crate::voice::{self, AfterDial, VoiceRequest, APOLOGY, NOT_IN_SERVICE};
use crate::{error, info, warn};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;
use worker::{Context, Delay, Env, Request};

const PHASE_1: Log = Log("[Voice Phase 1]");
const PHASE_2: Log = Log("[Voice Phase 2]");

/// Phase 1 answers within this even when the database hangs; Twilio gives up at 15 s. Locally the
/// connection and the statement take about 12 ms (README, Benchmarks); Neon documents a few hundred
/// milliseconds to wake a suspended compute, and the every-minute poll keeps it awake anyway. 3 s
/// leaves a cold start and a slow network ample room and the caller hardly a pause.
pub(super) const DATABASE_BUDGET: Duration = Duration::from_secs(3);
/// Phase 2's background work: up to three connections (each bounded by
/// `database::CONNECT_TIMEOUT`, 4 s) with these pauses between them, then the work itself, all
/// inside BACKGROUND_BUDGET (waitUntil allows 30 s). The work has what is left, at least
/// MIN_WORK_BUDGET after three tries (4 + 1 + 4 + 3 + 4 + 13 = 29 s) and up to 25 s after a first
/// connection: its statements, a Lookup and a send (each Twilio request at most 10 s), and the
/// owner's heads-up.
const CONNECT_RETRY_PAUSES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];
const BACKGROUND_BUDGET: Duration = Duration::from_secs(29);
const MIN_WORK_BUDGET: Duration = Duration::from_secs(13);
/// The monitoring after the work (the failures' count, the cron's heartbeat, an alert's POST) has
/// at most this, and never more than what the work left of BACKGROUND_BUDGET.
const WATCH_BUDGET: Duration = Duration::from_secs(12);

thread_local! {
    /// Business numbers seen recently by this isolate, so a database outage does not cut callers off.
    static RECENT_NUMBERS: RefCell<NumberCache> = RefCell::new(NumberCache::default());
}

pub async fn voice(mut request: Request, env: &Env, ctx: &Context) -> Result<Reply, ApiError> {
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => {
            // Without settings we cannot even check the signature; Twilio still gets valid TwiML.
            error!(LOG, "cannot serve the call: {problem}");
            return Ok(Reply::twiml(twiml::say_and_hang_up(APOLOGY)));
        }
    };
    let (query, form) = verified_webhook(&mut request, &config, VOICE_WEBHOOK_PATH).await?;

    let xml = match voice::parse(&query, &form).map_err(ApiError::BadRequest)? {
        VoiceRequest::Incoming { call_sid, from, to } => {
            let (xml, business) = incoming_call(&call_sid, &from, &to, &config.app_url, env).await;
            let grace = config.poll.callback_grace_secs;
            if let Some((check, delay)) =
                voice::due_check(business.as_ref(), &call_sid, &from, grace)
            {
                checks::enqueue(ctx, env, check, delay);
            }
            xml
        }
        VoiceRequest::DialResult {
            call,
            status,
            caller_gone,
            screened,
            voicemail,
            no_text,
        } => {
            let xml = voice::dial_result_twiml(
                &config.app_url,
                &status,
                &call,
                caller_gone,
                no_text,
                voicemail.as_deref(),
            );
            let after = voice::after_dial(&status, screened, config.polling_only);
            if after == AfterDial::Text {
                info!(
                    PHASE_2,
                    "Missed call detected - processing immediately: {} ({status})", call.call_sid
                );
            }
            forward_ended(ctx, env, &config, after, call, status, Ended::by_phase_2());
            xml
        }
    };
    Ok(Reply::twiml(xml))
}

/// Every Twilio webhook's first step: read the form and our URL's query, and accept them only when
/// Twilio signed them for `path` (or, unsigned, on a loopback APP_URL). Bad input is 400, a bad or
/// missing signature 403, before anything is recorded.
pub(super) async fn verified_webhook(
    request: &mut Request,
    config: &Config,
    path: &str,
) -> Result<(Params, Params), ApiError> {
    let url = request.url()?;
    let raw_query = url.query().unwrap_or("");
    let form = Params::parse(&request.text().await?, "body").map_err(ApiError::BadRequest)?;
    let query = Params::parse(raw_query, "query string").map_err(ApiError::BadRequest)?;
    let path_and_query = match raw_query {
        "" => path.to_string(),
        q => format!("{path}?{q}"),
    };
    let presented = edge::header(request, "X-Twilio-Signature");
    let trust = webhook::trust(
        &config.twilio.auth_token,
        &config.app_url,
        &path_and_query,
        &form,
        presented.as_deref(),
    );
    match trust {
        Trust::Signed => Ok((query, form)),
        Trust::UnsignedOnLoopback => {
            warn!(
                LOG,
                "WARNING: accepting an unsigned request because APP_URL is a loopback address (local development only)"
            );
            Ok((query, form))
        }
        Trust::BadSignature | Trust::Unsigned => {
            warn!(
                LOG,
                "Rejected request with {} X-Twilio-Signature",
                if trust == Trust::BadSignature {
                    "an invalid"
                } else {
                    "no"
                }
            );
            Err(ApiError::Forbidden(
                "invalid or missing X-Twilio-Signature".into(),
            ))
        }
    }
}

/// Which path reports the end of a forward, for the record and the log.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ended {
    pub by: ProcessedBy,
    pub log: Log,
}

impl Ended {
    pub fn by_phase_2() -> Ended {
        Ended {
            by: ProcessedBy::Callback,
            log: PHASE_2,
        }
    }
}

/// The work after a forward ended, the same for Phase 2 and the status callback: text a missed
/// call through the missed-call handler, settle an answered one, decide a screened one by its
/// acceptance, or note the status for the poll. It runs after the answer has gone to Twilio.
pub(super) fn forward_ended(
    ctx: &Context,
    env: &Env,
    config: &Config,
    after: AfterDial,
    call: CallRef,
    status: DialStatus,
    ended: Ended,
) {
    let what = format!("process {}", call.call_sid);
    let Ended { by, log } = ended;
    let settings = config.clone();
    match after {
        AfterDial::Text => in_background(ctx, env, config, log, what, move |db| async move {
            let texting = Texting::now(&settings);
            handle_missed_call(&db, &WorkerFetch, &texting, &call, by, Some(&status)).await
        }),
        AfterDial::SettleIfAccepted { else_text } => {
            in_background(ctx, env, config, log, what, move |db| async move {
                if calls::settle_if_accepted(&db, &call.call_sid, by, Some(&status)).await? {
                    info!(
                        log,
                        "Call {} was answered: the screened forward was accepted ({status})",
                        call.call_sid
                    );
                    return Ok(None);
                }
                if !else_text {
                    calls::record_dial_result(&db, &call, &status).await?;
                    return Ok(None);
                }
                info!(
                    log,
                    "Missed call detected - nobody accepted the screened forward: {} ({status})",
                    call.call_sid
                );
                let texting = Texting::now(&settings);
                let texted =
                    handle_missed_call(&db, &WorkerFetch, &texting, &call, by, Some(&status))
                        .await?;
                if texted == TextOutcome::AlreadyHandled {
                    // An acceptance that landed between the two statements: it settles now.
                    calls::settle_if_accepted(&db, &call.call_sid, by, Some(&status)).await?;
                }
                Ok(Some(texted))
            })
        }
        AfterDial::RecordForPoll | AfterDial::LeaveToPoll => {
            if after == AfterDial::RecordForPoll {
                info!(
                    log,
                    "Missed call detected - polling-only mode, the poll will text: {} ({status})",
                    call.call_sid
                );
            } else {
                warn!(
                    log,
                    "Unrecognised DialCallStatus {:?} for {}: recorded, leaving it to the poll",
                    status.as_str(),
                    call.call_sid
                );
            }
            in_background(ctx, env, config, log, what, move |db| async move {
                calls::record_dial_result(&db, &call, &status).await
            });
        }
        AfterDial::SettleAnswered => {
            info!(log, "Call {} was answered ({status})", call.call_sid);
            in_background(ctx, env, config, log, what, move |db| async move {
                let answered = [(&call, Outcome::Answered, Some(&status))];
                calls::settle_without_text(&db, &answered, by)
                    .await
                    .map(|_| ())
            });
        }
    }
}

/// What a webhook's background work leaves for the look that follows it.
pub(super) trait Followup {
    /// A text failed for good, or was reported undelivered: time to count the hour's failures.
    fn text_failed(&self) -> bool {
        false
    }
}

impl Followup for () {}

/// Whether a call was settled: nothing to follow up.
impl Followup for bool {}

impl Followup for TextOutcome {
    fn text_failed(&self) -> bool {
        matches!(self, TextOutcome::Failed { .. })
    }
}

impl Followup for Option<TextOutcome> {
    fn text_failed(&self) -> bool {
        self.as_ref().is_some_and(Followup::text_failed)
    }
}

/// A status callback recorded that a text was not delivered.
pub(super) struct TextFailed(pub bool);

impl Followup for TextFailed {
    fn text_failed(&self) -> bool {
        self.0
    }
}

/// Phase 1: record the call and read the number's settings in one statement, within
/// DATABASE_BUDGET; when the database cannot answer, forward from the isolate's copy. Returns the
/// TwiML and the settings it was made from.
async fn incoming_call(
    call_sid: &str,
    from: &Caller,
    to: &PhoneNumber,
    app_url: &str,
    env: &Env,
) -> (String, Option<BusinessNumber>) {
    info!(
        PHASE_1,
        "Incoming call {call_sid} from {} to {}",
        from.masked(),
        to.masked()
    );
    let lookup = async {
        let db = database::connect(env).await?;
        calls::record_incoming(&db, call_sid, from, to).await
    };
    let business = match with_timeout(DATABASE_BUDGET, lookup).await {
        Some(Ok(found)) => {
            RECENT_NUMBERS.with(|cache| cache.borrow_mut().remember(to, found.as_ref(), now_ms()));
            found
        }
        failed => {
            let reason = match failed {
                Some(Err(error)) => error.to_string(),
                _ => format!("no answer within {} s", DATABASE_BUDGET.as_secs()),
            };
            let copy = RECENT_NUMBERS.with(|cache| cache.borrow().recall(to, now_ms()));
            error!(
                PHASE_1,
                "Database unavailable for {call_sid} ({reason}); {}",
                if copy.is_some() {
                    "forwarding from this isolate's copy of the number's settings; Phase 2 will record the call"
                } else {
                    "no copy of the number's settings: apologising to the caller"
                }
            );
            if copy.is_none() {
                return (twiml::say_and_hang_up(APOLOGY), None);
            }
            copy
        }
    };
    let xml = voice::incoming_twiml(app_url, business.as_ref(), call_sid, from, to).unwrap_or_else(
        || {
            warn!(
                PHASE_1,
                "{} is not a configured, enabled number: telling the caller it is not in service",
                to.masked()
            );
            twiml::say_and_hang_up(NOT_IN_SERVICE)
        },
    );
    (xml, business)
}

/// Runs database work after the TwiML has gone back to Twilio (`waitUntil` allows 30 s); a failure
/// is logged under `log`. Then, within a budget of its own, the monitoring that follows a webhook:
/// the delivery alert's count when the work saw a text fail, and a look at the cron's heartbeat
/// (`alerts::check_cron`). Both come after the work, so they never delay a text, and only when the
/// work went well on the first connection, in what the work left of BACKGROUND_BUDGET.
pub(super) fn in_background<Work, Fut, T>(
    ctx: &Context,
    env: &Env,
    config: &Config,
    log: Log,
    what: String,
    work: Work,
) where
    Work: FnOnce(Rc<database::Client>) -> Fut + 'static,
    Fut: Future<Output = Result<T, DbError>> + 'static,
    T: Followup,
{
    let env = env.clone();
    let monitoring = config.monitoring.clone();
    ctx.wait_until(async move {
        let started = now_ms();
        let left = move || {
            BACKGROUND_BUDGET
                .saturating_sub(Duration::from_millis(now_ms().saturating_sub(started)))
        };
        // A database that is briefly away gets two more chances inside waitUntil's 30 s, since
        // Twilio will not send this callback again.
        let mut connected = database::connect(&env).await;
        let mut retried = false;
        for pause in CONNECT_RETRY_PAUSES {
            if connected.is_ok() {
                break;
            }
            retried = true;
            Delay::from(pause).await;
            connected = database::connect(&env).await;
        }
        let db = match connected {
            Ok(db) => Rc::new(db),
            Err(error) => {
                error!(log, "Could not {what}: {error}");
                return;
            }
        };
        let work_budget = left().max(MIN_WORK_BUDGET);
        let done = with_timeout(work_budget, work(db.clone()))
            .await
            .unwrap_or_else(|| {
                Err(DbError(format!(
                    "not done within {} s: the database or Twilio did not answer",
                    work_budget.as_secs()
                )))
            });
        let followup = match done {
            Ok(followup) => followup,
            Err(error) => {
                error!(log, "Could not {what}: {error}");
                return;
            }
        };
        if retried {
            return;
        }
        let watch = async {
            if followup.text_failed() {
                alerts::after_delivery_failure(&db, &WorkerFetch, &monitoring).await?;
            }
            alerts::check_cron(&db, &WorkerFetch, &monitoring).await
        };
        let watch_budget = left().min(WATCH_BUDGET);
        match with_timeout(watch_budget, watch).await {
            Some(Ok(())) => {}
            Some(Err(error)) => warn!(log, "Could not look at the alerts' counts: {error}"),
            None => warn!(
                log,
                "The alerts' look took over {} s: skipped",
                watch_budget.as_secs()
            ),
        }
    });
}
