//! Every SQL statement in the project. Hyperdrive may answer a plain SELECT from its cache for up to
//! 60 s, so every decision (recording, claiming, settling) is a mutating statement whose RETURNING
//! clause carries the answer.
use crate::business::BusinessNumber;
use crate::database::{Client, DbError};
use crate::phone_number::PhoneNumber;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Row;

// The hot statements are sent with their parameter types (`query_typed`): one round trip, where a
// plain `query` first prepares the statement in a round trip of its own.
type Param<'a> = (&'a (dyn ToSql + Sync), Type);

fn text(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::TEXT)
}

fn int4(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::INT4)
}

fn int8(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::INT8)
}

fn boolean(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::BOOL)
}

/// Which path settled a call: the `<Dial action>` callback or the fallback poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessedBy {
    Callback,
    Poll,
}

impl ProcessedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessedBy::Callback => "callback",
            ProcessedBy::Poll => "poll",
        }
    }
}

/// A call identified by what both paths know: Phase 2 carries these in its action URL, the poll
/// reads them from the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    pub call_sid: String,
    pub from_number: String,
    pub to_number: String,
}

/// Health: `random()` is volatile, so Hyperdrive cannot answer this from its cache and a reply
/// proves the database itself is there.
pub async fn ping(db: &Client) -> Result<(), DbError> {
    db.simple_query("SELECT random()").await?;
    Ok(())
}

// ---- migrations -------------------------------------------------------------------------------

#[cfg(not(target_arch = "wasm32"))]
pub async fn apply_migration(
    db: &mut Client,
    version: u32,
    name: &str,
    sql: &str,
) -> Result<bool, DbError> {
    db.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let tx = db.transaction().await?;
    // Two migrators started at once queue here instead of both applying the same file.
    tx.execute("SELECT pg_advisory_xact_lock(7305550001)", &[])
        .await?;
    let applied = tx
        .query_opt(
            "SELECT 1 FROM schema_migrations WHERE version = $1",
            &[&(version as i32)],
        )
        .await?
        .is_some();
    if applied {
        return Ok(false);
    }
    tx.batch_execute(sql).await.map_err(|e| {
        DbError(format!(
            "migration {version:04}_{name}: {}",
            DbError::from(e)
        ))
    })?;
    tx.execute(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
        &[&(version as i32), &name],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

// ---- business numbers -------------------------------------------------------------------------

const BUSINESS_COLUMNS: &str =
    "twilio_number, forward_to, business_name, sms_template, dial_timeout_secs, enabled";

fn business_from_row(row: &Row) -> Result<BusinessNumber, DbError> {
    let number = |column: &str| {
        let raw: String = row.get(column);
        PhoneNumber::parse(&raw).map_err(|e| DbError(format!("business_numbers.{column}: {e}")))
    };
    Ok(BusinessNumber {
        twilio_number: number("twilio_number")?,
        forward_to: number("forward_to")?,
        business_name: row.get("business_name"),
        sms_template: row.get("sms_template"),
        dial_timeout_secs: row.get::<_, i32>("dial_timeout_secs") as u32,
        enabled: row.get("enabled"),
    })
}

/// Returns the stored row and whether it was created (true) or replaced (false).
pub async fn upsert_business_number(
    db: &Client,
    number: &BusinessNumber,
) -> Result<(BusinessNumber, bool), DbError> {
    let row = db
        .query_one(
            &format!(
                "INSERT INTO business_numbers ({BUSINESS_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (twilio_number) DO UPDATE SET
                     forward_to = EXCLUDED.forward_to,
                     business_name = EXCLUDED.business_name,
                     sms_template = EXCLUDED.sms_template,
                     dial_timeout_secs = EXCLUDED.dial_timeout_secs,
                     enabled = EXCLUDED.enabled,
                     updated_at = now()
                 RETURNING {BUSINESS_COLUMNS}, (xmax = 0) AS created"
            ),
            &[
                &number.twilio_number.as_str(),
                &number.forward_to.as_str(),
                &number.business_name,
                &number.sms_template,
                &(number.dial_timeout_secs as i32),
                &number.enabled,
            ],
        )
        .await?;
    Ok((business_from_row(&row)?, row.get("created")))
}

pub async fn get_business_number(
    db: &Client,
    twilio_number: &PhoneNumber,
) -> Result<Option<BusinessNumber>, DbError> {
    let row = db
        .query_opt(
            &format!("SELECT {BUSINESS_COLUMNS} FROM business_numbers WHERE twilio_number = $1"),
            &[&twilio_number.as_str()],
        )
        .await?;
    row.as_ref().map(business_from_row).transpose()
}

pub async fn list_business_numbers(db: &Client) -> Result<Vec<BusinessNumber>, DbError> {
    let rows = db
        .query(
            &format!("SELECT {BUSINESS_COLUMNS} FROM business_numbers ORDER BY twilio_number"),
            &[],
        )
        .await?;
    rows.iter().map(business_from_row).collect()
}

pub async fn delete_business_number(
    db: &Client,
    twilio_number: &PhoneNumber,
) -> Result<bool, DbError> {
    let deleted = db
        .execute(
            "DELETE FROM business_numbers WHERE twilio_number = $1",
            &[&twilio_number.as_str()],
        )
        .await?;
    Ok(deleted > 0)
}

// ---- calls ------------------------------------------------------------------------------------

/// Phase 1 in one round trip: look the called number up and, when it is in service, record the
/// call. `ON CONFLICT DO NOTHING` makes Twilio's retries neither duplicate nor reset the row, and the
/// INSERT keeps the statement out of Hyperdrive's cache.
pub async fn record_incoming_call(
    db: &Client,
    call_sid: &str,
    from: &str,
    to: &PhoneNumber,
) -> Result<Option<BusinessNumber>, DbError> {
    let row = db
        .query_typed_opt(
            &format!(
                "WITH business AS (
                     SELECT {BUSINESS_COLUMNS} FROM business_numbers WHERE twilio_number = $3
                 ), recorded AS (
                     INSERT INTO active_calls (call_sid, from_number, to_number, dial_timeout_secs)
                     SELECT $1, $2, twilio_number, dial_timeout_secs FROM business WHERE enabled
                     ON CONFLICT (call_sid) DO NOTHING
                 )
                 SELECT * FROM business"
            ),
            &[text(&call_sid), text(&from), text(&to.as_str())],
        )
        .await?;
    row.as_ref().map(business_from_row).transpose()
}

/// A claim still `sending` after this long belongs to a run that died between claim and send:
/// far longer than a send can take (waitUntil ends after 30 s, a poll's send after 10 s).
pub const STALE_CLAIM_SECS: i32 = 5 * 60;

/// What the winner of a claim needs to send the text.
#[derive(Debug, Clone)]
pub struct Claim {
    pub call: CallRef,
    pub attempt: i32,
    /// None when the business number was deleted after the call came in.
    pub business: Option<(String, String)>,
}

/// THE deduplication decision, and the only one in the code base. One atomic statement claims the
/// call for texting: it inserts the call when Phase 1 never recorded it, or takes it when it is
/// undecided, or when a retryable send failure has come due. Concurrent claimers serialise on the
/// row lock and re-check the WHERE clause, so exactly one of them gets a row back.
pub async fn claim_for_text(
    db: &Client,
    call: &CallRef,
    by: ProcessedBy,
    dial_call_status: Option<&str>,
) -> Result<Option<Claim>, DbError> {
    let row = db
        .query_typed_opt(
            "WITH claimed AS (
                 INSERT INTO active_calls AS c (call_sid, from_number, to_number, processed,
                     processed_at, processed_by, outcome, claimed_at, sms_attempts, dial_call_status)
                 VALUES ($1, $2, $3, false, NULL, $4, 'sending', now(), 1, $5)
                 ON CONFLICT (call_sid) DO UPDATE SET
                     processed_by = EXCLUDED.processed_by,
                     outcome = 'sending',
                     claimed_at = now(),
                     sms_attempts = c.sms_attempts + 1,
                     dial_call_status = COALESCE(EXCLUDED.dial_call_status, c.dial_call_status)
                 WHERE c.outcome IS NULL
                    OR (c.outcome = 'owed' AND c.next_attempt_at <= now())
                    OR (c.outcome = 'sending' AND c.claimed_at < now() - make_interval(secs => $6::int))
                 RETURNING c.call_sid, c.from_number, c.to_number, c.sms_attempts
             )
             SELECT claimed.*, b.business_name, b.sms_template
             FROM claimed LEFT JOIN business_numbers b ON b.twilio_number = claimed.to_number",
            &[
                text(&call.call_sid),
                text(&call.from_number),
                text(&call.to_number),
                text(&by.as_str()),
                text(&dial_call_status),
                int4(&STALE_CLAIM_SECS),
            ],
        )
        .await?;
    Ok(row.map(|row| Claim {
        call: CallRef {
            call_sid: row.get("call_sid"),
            from_number: row.get("from_number"),
            to_number: row.get("to_number"),
        },
        attempt: row.get("sms_attempts"),
        business: row
            .get::<_, Option<String>>("business_name")
            .zip(row.get::<_, Option<String>>("sms_template")),
    }))
}

pub async fn record_sms_sent(
    db: &Client,
    call_sid: &str,
    message_sid: &str,
) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE active_calls
         SET outcome = 'texted', sms_sid = $2, sms_sent_at = now(), sms_error = NULL,
             sms_maybe_sent = false, next_attempt_at = NULL, processed = true, processed_at = now()
         WHERE call_sid = $1",
        &[text(&call_sid), text(&message_sid)],
    )
    .await?;
    Ok(())
}

/// A send that did not go through: `retry_in_secs` Some leaves the text owed for the poll, None
/// ends it as failed with `reason`. `maybe_sent` marks a failure after which the text may have
/// gone anyway, so the poll looks it up before sending again.
pub async fn record_sms_failure(
    db: &Client,
    call_sid: &str,
    reason: &str,
    retry_in_secs: Option<i32>,
    maybe_sent: bool,
) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE active_calls
         SET sms_error = $2,
             outcome = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'owed' END,
             processed = $3::int IS NULL,
             processed_at = CASE WHEN $3::int IS NULL THEN now() END,
             next_attempt_at = now() + make_interval(secs => $3::int),
             sms_maybe_sent = $4
         WHERE call_sid = $1",
        &[
            text(&call_sid),
            text(&reason),
            int4(&retry_in_secs),
            boolean(&maybe_sent),
        ],
    )
    .await?;
    Ok(())
}

/// Settles a call that gets no text (answered, not found, expired). Never overrides a decision
/// already taken, so a late "answered" cannot hide a text that went out.
pub async fn settle_without_text(
    db: &Client,
    call: &CallRef,
    by: ProcessedBy,
    outcome: &str,
    dial_call_status: Option<&str>,
) -> Result<bool, DbError> {
    let settled = db
        .query_typed(
            "INSERT INTO active_calls AS c (call_sid, from_number, to_number, processed,
                 processed_at, processed_by, outcome, dial_call_status)
             VALUES ($1, $2, $3, true, now(), $4, $5, $6)
             ON CONFLICT (call_sid) DO UPDATE SET
                 processed = true,
                 processed_at = now(),
                 processed_by = EXCLUDED.processed_by,
                 outcome = EXCLUDED.outcome,
                 dial_call_status = COALESCE(EXCLUDED.dial_call_status, c.dial_call_status)
             WHERE c.outcome IS NULL
             RETURNING c.call_sid",
            &[
                text(&call.call_sid),
                text(&call.from_number),
                text(&call.to_number),
                text(&by.as_str()),
                text(&outcome),
                text(&dial_call_status),
            ],
        )
        .await?;
    Ok(!settled.is_empty())
}

/// Polling-only mode: Phase 2 notes what the dial did and leaves the call for the poll.
pub async fn record_dial_result(
    db: &Client,
    call: &CallRef,
    dial_call_status: &str,
) -> Result<(), DbError> {
    db.query_typed(
        "INSERT INTO active_calls AS c (call_sid, from_number, to_number, dial_call_status)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (call_sid) DO UPDATE SET dial_call_status = EXCLUDED.dial_call_status",
        &[
            text(&call.call_sid),
            text(&call.from_number),
            text(&call.to_number),
            text(&dial_call_status),
        ],
    )
    .await?;
    Ok(())
}

// ---- the fallback poll ------------------------------------------------------------------------

/// Expires every unfinished call (undecided or owed a text) older than `max_age_secs`.
pub async fn expire_overdue_calls(db: &Client, max_age_secs: u32) -> Result<u64, DbError> {
    Ok(db
        .execute(
            "UPDATE active_calls
             SET processed = true, processed_at = now(), processed_by = 'poll', outcome = 'expired',
                 lease_until = NULL
             WHERE NOT processed
               AND (outcome IS NULL OR outcome IN ('owed', 'sending'))
               AND received_at < now() - make_interval(secs => $1::int)",
            &[&(max_age_secs as i32)],
        )
        .await?)
}

#[derive(Debug, Clone)]
pub struct DueCall {
    pub call: CallRef,
    /// A text already decided on (a retryable failure, or a claim a crash left `sending`): no
    /// call lookup needed, only the send.
    pub owed: bool,
    /// The UTC day the text was claimed, when it may already have gone out: look for it at
    /// Twilio before sending again.
    pub verify_since: Option<String>,
}

const LEASE_DUE_CALLS: &str = "WITH leased AS (
     UPDATE active_calls AS c
     SET lease_until = now() + make_interval(secs => $3::int)
     FROM (
         SELECT call_sid FROM active_calls
         WHERE NOT processed
           AND (lease_until IS NULL OR lease_until < now())
           AND ((outcome IS NULL
                 AND received_at < now() - make_interval(secs => dial_timeout_secs + $2::int)
                 AND (next_lookup_at IS NULL OR next_lookup_at <= now()))
                OR (outcome = 'owed' AND next_attempt_at <= now())
                OR (outcome = 'sending' AND claimed_at < now() - make_interval(secs => $4::int)))
         ORDER BY received_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
     ) AS due
     WHERE c.call_sid = due.call_sid
     RETURNING c.call_sid, c.from_number, c.to_number, c.outcome, c.received_at,
               c.outcome = 'sending' OR c.sms_maybe_sent AS maybe_sent,
               to_char(c.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS claimed_day
 )
 SELECT * FROM leased ORDER BY received_at";

/// Leases up to `limit` calls that are due, oldest first. The lease is taken by the UPDATE itself
/// and `SKIP LOCKED` lets overlapping runs pass each other, so no call is worked on twice at once.
pub async fn lease_due_calls(
    db: &Client,
    limit: u32,
    callback_grace_secs: u32,
    lease_secs: u32,
) -> Result<Vec<DueCall>, DbError> {
    let rows = db
        .query_typed(
            LEASE_DUE_CALLS,
            &[
                int8(&(limit as i64)),
                int4(&(callback_grace_secs as i32)),
                int4(&(lease_secs as i32)),
                int4(&STALE_CLAIM_SECS),
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let maybe_sent: Option<bool> = row.get("maybe_sent");
            DueCall {
                call: CallRef {
                    call_sid: row.get("call_sid"),
                    from_number: row.get("from_number"),
                    to_number: row.get("to_number"),
                },
                owed: row.get::<_, Option<String>>("outcome").is_some(),
                verify_since: row
                    .get::<_, Option<String>>("claimed_day")
                    .filter(|_| maybe_sent == Some(true)),
            }
        })
        .collect())
}

/// Hands calls back to the next tick (still in progress, or over this run's budget).
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

/// A lookup failed retryably: back off 1, 2, 4 … 16 minutes, and let any later tick take it once
/// due. The call's maximum age bounds the number of tries.
pub async fn record_lookup_failure(db: &Client, call_sid: &str) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE active_calls
         SET next_lookup_at = now() + make_interval(secs => 60 * power(2, least(lookup_attempts, 4))::int),
             lookup_attempts = lookup_attempts + 1,
             lease_until = NULL
         WHERE call_sid = $1",
        &[text(&call_sid)],
    )
    .await?;
    Ok(())
}

pub async fn delete_processed_calls(db: &Client, older_than_days: u32) -> Result<u64, DbError> {
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
pub async fn explain_lease_due_calls(
    db: &mut Client,
    limit: u32,
    callback_grace_secs: u32,
) -> Result<Vec<String>, DbError> {
    let tx = db.transaction().await?;
    let rows = tx
        .query(
            &format!("EXPLAIN (ANALYZE, BUFFERS) {LEASE_DUE_CALLS}"),
            &[
                &(limit as i64),
                &(callback_grace_secs as i32),
                &60i32,
                &STALE_CLAIM_SECS,
            ],
        )
        .await?;
    tx.rollback().await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Settles a text whose send looked failed but went out after all, found at Twilio as
/// `message_sid`. A message already recorded on any call is not taken a second time.
pub async fn adopt_sent_message(
    db: &Client,
    call_sid: &str,
    message_sid: &str,
) -> Result<bool, DbError> {
    let adopted = db
        .query_typed(
            "UPDATE active_calls
             SET outcome = 'texted', sms_sid = $2, sms_sent_at = now(), sms_maybe_sent = false,
                 processed = true, processed_at = now(), next_attempt_at = NULL, lease_until = NULL
             WHERE call_sid = $1 AND outcome IN ('owed', 'sending')
               AND NOT EXISTS (SELECT 1 FROM active_calls WHERE sms_sid = $2)
             RETURNING call_sid",
            &[text(&call_sid), text(&message_sid)],
        )
        .await?;
    Ok(!adopted.is_empty())
}
