//! The fallback poll's statements on `active_calls`: expiring, leasing due calls, handing leases
//! back, backing off lookups, and the weekly cleanup. The lease is an UPDATE … RETURNING, so
//! Hyperdrive never answers it from its cache and overlapping runs never share a call.
use super::calls::STALE_CLAIM_SECS;
use super::numbers;
use super::{int4, int8};
use crate::database::{Client, DbError};
use crate::domain::rules::MAX_DEFERRAL_SECS;
use crate::domain::{BusinessNumber, CallRef, Caller, PhoneNumber};
use crate::poll::reconcile::Listed;
use tokio_postgres::types::Type;
use tokio_postgres::Row;

/// Expires every unfinished call (undecided or owed a text) older than `max_age_secs`; a text
/// deferred past quiet hours (due at most `MAX_DEFERRAL_SECS` after its call) has that much longer.
pub async fn expire_overdue(db: &Client, max_age_secs: u32) -> Result<u64, DbError> {
    Ok(db
        .execute(
            "UPDATE active_calls
             SET processed = true, processed_at = now(), processed_by = 'poll', outcome = 'expired',
                 lease_until = NULL
             WHERE NOT processed
               AND (outcome IS NULL OR outcome IN ('owed', 'sending'))
               AND received_at < now() - make_interval(secs => $1::int
                   + CASE WHEN deferred THEN $2::int ELSE 0 END)",
            &[&(max_age_secs as i32), &(MAX_DEFERRAL_SECS as i32)],
        )
        .await?)
}

#[derive(Debug, Clone)]
pub struct DueCall {
    pub call: CallRef,
    /// A text already decided on (a retryable failure, a text deferred past quiet hours, or a
    /// claim a crash left `sending`): no call lookup needed, only the send.
    pub owed: bool,
    /// When the text may already have gone out, the time it was claimed (seconds since the
    /// epoch): look for it at Twilio before sending again.
    pub verify_since: Option<i64>,
    /// The number's settings; None when it was deleted.
    pub business: Option<BusinessNumber>,
    /// The text as it was about to be sent, when a claim got that far: what to look for at Twilio.
    pub sms_body: Option<String>,
    /// The forward asked whoever picked up to press a key: its being answered proves nothing.
    pub screened: bool,
    /// A person pressed a key on the screened forward: the call was answered.
    pub accepted: bool,
    /// When the call came in (seconds since the epoch).
    pub received_at: i64,
}

/// The statement that leases due calls, with the number's settings (`{joined}`): any due calls
/// (`$5` NULL, the poll), or only those of the listed SIDs that are due (the queue's checks).
const LEASE_DUE_CALLS: &str = "WITH leased AS (
     UPDATE active_calls AS c
     SET lease_until = now() + make_interval(secs => $3::int)
     FROM (
         SELECT call_sid FROM active_calls
         WHERE NOT processed
           AND ($5::text[] IS NULL OR call_sid = ANY($5::text[]))
           AND (lease_until IS NULL OR lease_until < now())
           AND ((outcome IS NULL
                 AND received_at < now() - make_interval(secs => dial_timeout_secs + $2::int)
                 AND (next_lookup_at IS NULL OR next_lookup_at <= now()))
                OR (outcome = 'owed' AND next_attempt_at <= now())
                OR (outcome = 'sending' AND claimed_at < now() - make_interval(secs => $4::int)))
         ORDER BY COALESCE(next_attempt_at, next_lookup_at, received_at)
         LIMIT $1
         FOR UPDATE SKIP LOCKED
     ) AS due
     WHERE c.call_sid = due.call_sid
     RETURNING c.call_sid, c.from_number, c.to_number AS call_to, c.outcome, c.screened, c.sms_body,
               c.accepted_at IS NOT NULL AS accepted,
               floor(extract(epoch FROM c.received_at))::int8 AS received,
               COALESCE(c.next_attempt_at, c.next_lookup_at, c.received_at) AS due_at,
               CASE WHEN c.outcome = 'sending' OR c.sms_maybe_sent
                    THEN floor(extract(epoch FROM c.claimed_at))::int8 END AS verify_since
 )
 SELECT leased.*, {joined}
 FROM leased LEFT JOIN business_numbers b ON b.twilio_number = leased.call_to
 ORDER BY due_at";

fn lease_due_calls() -> String {
    LEASE_DUE_CALLS.replace("{joined}", &numbers::joined_columns())
}

/// A call as stored, or None for a row whose to_number is not E.164 (an old Phase 2 could record
/// whatever its action URL said): such a call can never be texted, and the poll leaves it to
/// expire. A from_number that is not E.164 is a withheld caller.
fn call_from_row(row: &Row) -> Option<CallRef> {
    let to: String = row.get("call_to");
    Some(CallRef {
        call_sid: row.get("call_sid"),
        from: Caller::parse(row.get("from_number")),
        to: PhoneNumber::parse(&to).ok()?,
    })
}

/// Leases up to `limit` calls that are due, in the order they became due (a call waiting out a
/// backoff is due from its next look, not from its arrival), so whatever else is pending a call that
/// just became due is reached within a tick or two. The lease is taken by the UPDATE itself
/// and `SKIP LOCKED` lets overlapping runs pass each other, so no call is worked on twice at once.
pub async fn lease_due(
    db: &Client,
    limit: u32,
    callback_grace_secs: u32,
    lease_secs: u32,
) -> Result<Vec<DueCall>, DbError> {
    lease(db, limit, callback_grace_secs, lease_secs, None).await
}

/// Leases those of `call_sids` that are due, by the same rules as `lease_due`: a call settled, not
/// due yet (its grace, its backoff), or leased by a run at work is left out, so a check delivered
/// twice, or racing the poll, works the call once.
pub async fn lease_listed(
    db: &Client,
    call_sids: &[String],
    callback_grace_secs: u32,
    lease_secs: u32,
) -> Result<Vec<DueCall>, DbError> {
    let limit = call_sids.len() as u32;
    lease(db, limit, callback_grace_secs, lease_secs, Some(call_sids)).await
}

async fn lease(
    db: &Client,
    limit: u32,
    callback_grace_secs: u32,
    lease_secs: u32,
    only: Option<&[String]>,
) -> Result<Vec<DueCall>, DbError> {
    let rows = db
        .query_typed(
            &lease_due_calls(),
            &[
                int8(&(limit as i64)),
                int4(&(callback_grace_secs as i32)),
                int4(&(lease_secs as i32)),
                int4(&STALE_CLAIM_SECS),
                (&only, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(call) = call_from_row(row) else {
            continue;
        };
        due.push(DueCall {
            call,
            owed: row.get::<_, Option<String>>("outcome").is_some(),
            verify_since: row.get("verify_since"),
            business: numbers::from_joined_row(row)?,
            sms_body: row.get("sms_body"),
            screened: row.get("screened"),
            accepted: row.get("accepted"),
            received_at: row.get("received"),
        });
    }
    Ok(due)
}

/// Records the calls Twilio listed that the database never saw, to an enabled configured number,
/// as Phase 1 would have (arrival at the call's start, the number's dial timeout and screening),
/// so the poll's verdict decides them like any other; returns the SIDs recorded. A call already
/// known, settled or not, is left exactly as it is, and a call from before the number's settings
/// last changed (created, re-enabled, edited) is not ours to text: callers then heard "not in
/// service", or another app served the number. Twilio's start times drop the fraction of a second,
/// so a call in the very second of the change counts as after it.
pub async fn record_unseen(db: &Client, calls: &[Listed]) -> Result<Vec<String>, DbError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let column = |field: fn(&Listed) -> &String| calls.iter().map(field).collect::<Vec<_>>();
    let (sids, froms, tos) = (
        column(|c| &c.call_sid),
        column(|c| &c.from),
        column(|c| &c.to),
    );
    let started: Vec<i64> = calls.iter().map(|c| c.started).collect();
    let rows = db
        .query_typed(
            "INSERT INTO active_calls (call_sid, from_number, to_number, received_at,
                 dial_timeout_secs, screened)
             SELECT u.call_sid, u.from_number, b.twilio_number, to_timestamp(u.started),
                    b.dial_timeout_secs, b.screen_calls
             FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
                  AS u(call_sid, from_number, to_number, started)
             JOIN business_numbers b ON b.twilio_number = u.to_number AND b.enabled
                  AND to_timestamp(u.started) >= date_trunc('second', b.updated_at)
             ON CONFLICT (call_sid) DO NOTHING
             RETURNING call_sid",
            &[
                (&sids, Type::TEXT_ARRAY),
                (&froms, Type::TEXT_ARRAY),
                (&tos, Type::TEXT_ARRAY),
                (&started, Type::INT8_ARRAY),
            ],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Hands back the calls a run leased, once it is done with them; settled ones are left alone.
pub async fn release_leases(db: &Client, call_sids: &[String]) -> Result<(), DbError> {
    if call_sids.is_empty() {
        return Ok(());
    }
    db.query_typed(
        "UPDATE active_calls SET lease_until = NULL WHERE call_sid = ANY($1) AND NOT processed",
        &[(&call_sids, Type::TEXT_ARRAY)],
    )
    .await?;
    Ok(())
}

/// A batch of leased calls is about to be worked: their leases run `lease_secs` from now, so a
/// long run never outlives the lease of the calls it is still working.
pub async fn renew_leases(db: &Client, call_sids: &[&str], lease_secs: u32) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE active_calls SET lease_until = now() + make_interval(secs => $2::int)
         WHERE call_sid = ANY($1) AND NOT processed",
        &[(&call_sids, Type::TEXT_ARRAY), int4(&(lease_secs as i32))],
    )
    .await?;
    Ok(())
}

/// Lookups failed retryably, or found the calls still undecided (ringing, or a screened forward
/// nobody has accepted yet): back off 1, 2, 4 … 16 minutes, and let any later tick take it once
/// due. The call's maximum age bounds the number of tries.
pub async fn back_off_lookup(db: &Client, call_sids: &[&str]) -> Result<(), DbError> {
    if call_sids.is_empty() {
        return Ok(());
    }
    db.query_typed(
        "UPDATE active_calls
         SET next_lookup_at = now() + make_interval(secs => 60 * power(2, least(lookup_attempts, 4))::int),
             lookup_attempts = lookup_attempts + 1
         WHERE call_sid = ANY($1)",
        &[(&call_sids, Type::TEXT_ARRAY)],
    )
    .await?;
    Ok(())
}

pub async fn delete_processed(db: &Client, older_than_days: u32) -> Result<u64, DbError> {
    Ok(db
        .execute(
            "DELETE FROM active_calls
             WHERE processed AND processed_at < now() - make_interval(days => $1::int)",
            &[&(older_than_days as i32)],
        )
        .await?)
}

/// The plan of the due-calls claim as EXPLAIN ANALYZE runs it, rolled back so nothing is leased.
#[cfg(not(target_arch = "wasm32"))]
pub async fn explain_lease_due(
    db: &mut Client,
    limit: u32,
    callback_grace_secs: u32,
) -> Result<Vec<String>, DbError> {
    let tx = db.transaction().await?;
    let rows = tx
        .query(
            &format!("EXPLAIN (ANALYZE, BUFFERS) {}", lease_due_calls()),
            &[
                &(limit as i64),
                &(callback_grace_secs as i32),
                &60i32,
                &STALE_CLAIM_SECS,
                &None::<Vec<String>>,
            ],
        )
        .await?;
    tx.rollback().await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
