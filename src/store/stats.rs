//! The reads behind `/api/stats` and the dashboard: the window's calls grouped by the database
//! (`call_groups`), the facts that cannot be folded from groups (`window_facts`: days, latency
//! percentiles, the poll's heartbeat, the table's size), and the dashboard's recent calls. What the
//! groups mean is decided in `domain::stats`, not here.
//!
//! All three are plain SELECTs, which Hyperdrive may answer from its cache for up to 60 s: a KPI a
//! minute stale is acceptable for both endpoints (nothing is decided from them), and `as_of` carries
//! the database's clock, so a cached answer would show its age. (In practice they reach the
//! database: each calls `now()`, which PostgreSQL marks stable, and Hyperdrive documents that it
//! does not cache queries using volatile or stable functions.)
use super::{int4, RFC3339};
use crate::database::{Client, DbError};
use crate::domain::stats::{CallGroup, Latency, RecentCall, WindowFacts};
use crate::domain::{Caller, DeliveryProblem};
use tokio_postgres::types::Type;

/// How many calls the dashboard lists.
pub const RECENT_CALLS: i64 = 50;

/// The window's calls grouped by UTC day, number, outcome and path, with their delivery counts
/// (`read` comes after `delivered` and replaces it: delivered too, `MessageStatus::is_delivered`).
pub async fn call_groups(db: &Client, days: u32) -> Result<Vec<CallGroup>, DbError> {
    let days = days as i32;
    let unreachable = &DeliveryProblem::UNREACHABLE[..];
    let filtered = &DeliveryProblem::CARRIER_FILTERED[..];
    let rows = db
        .query_typed(
            "SELECT to_char(c.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                    c.to_number, b.business_name, c.outcome, c.processed_by,
                    count(*) AS calls,
                    coalesce(sum(c.dedup_prevented), 0)::int8 AS dedup_prevented,
                    count(*) FILTER (WHERE c.sms_status IN ('delivered', 'read')) AS delivered,
                    count(*) FILTER (WHERE c.sms_status = 'undelivered') AS undelivered,
                    count(*) FILTER (WHERE c.sms_status = 'failed') AS sms_failed,
                    count(*) FILTER (WHERE c.sms_status IN ('undelivered', 'failed')
                                       AND c.sms_error_code = ANY ($2)) AS unreachable,
                    count(*) FILTER (WHERE c.sms_error_code = ANY ($3)) AS carrier_filtered
             FROM active_calls c LEFT JOIN business_numbers b ON b.twilio_number = c.to_number
             WHERE c.received_at >= now() - make_interval(days => $1)
             GROUP BY 1, c.to_number, b.business_name, c.outcome, c.processed_by",
            &[
                int4(&days),
                (&unreachable, Type::INT4_ARRAY),
                (&filtered, Type::INT4_ARRAY),
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| CallGroup {
            day: row.get("day"),
            to_number: row.get("to_number"),
            business_name: row.get("business_name"),
            outcome: row.get("outcome"),
            processed_by: row.get("processed_by"),
            calls: row.get("calls"),
            dedup_prevented: row.get("dedup_prevented"),
            delivered: row.get("delivered"),
            undelivered: row.get("undelivered"),
            sms_failed: row.get("sms_failed"),
            unreachable: row.get("unreachable"),
            carrier_filtered: row.get("carrier_filtered"),
        })
        .collect())
}

/// One row: the window's UTC days, the latency percentiles per path (the webhook paths together,
/// the poll alone), the poll's heartbeat and `pg_total_relation_size('active_calls')`.
///
/// Uptime counts the distinct minutes with a finished run since the later of the window's start
/// and the earliest of the oldest run kept and the oldest call in the window: a deployment younger
/// than the window, or whose old runs the cleanup deleted, is not held to minutes it never had.
pub async fn window_facts(db: &Client, days: u32) -> Result<WindowFacts, DbError> {
    let days = days as i32;
    let row = db
        .query_typed_one(
            &format!(
                "WITH bounds AS (
                 SELECT now() AS now, now() - make_interval(days => $1) AS since
             ), texts AS (
                 SELECT CASE WHEN c.processed_by IN ('callback', 'status_callback') THEN 'callback'
                             WHEN c.processed_by = 'poll' THEN 'poll' END AS path,
                        extract(epoch FROM c.sms_sent_at - c.received_at)::float8 AS secs
                 FROM active_calls c, bounds
                 WHERE c.received_at >= bounds.since AND c.outcome = 'texted'
                   AND c.sms_sent_at IS NOT NULL
             ), latency AS (
                 SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)
                            FILTER (WHERE path = 'callback') AS callback_p50,
                        percentile_cont(0.95) WITHIN GROUP (ORDER BY secs)
                            FILTER (WHERE path = 'callback') AS callback_p95,
                        percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)
                            FILTER (WHERE path = 'poll') AS poll_p50,
                        percentile_cont(0.95) WITHIN GROUP (ORDER BY secs)
                            FILTER (WHERE path = 'poll') AS poll_p95
                 FROM texts
             ), earliest AS (
                 SELECT least((SELECT min(started_at) FROM poll_runs),
                              (SELECT min(received_at) FROM active_calls
                               WHERE received_at >= bounds.since)) AS at
                 FROM bounds
             ), uptime AS (
                 -- greatest() skips NULLs: without runs or calls there is no uptime window.
                 SELECT CASE WHEN earliest.at IS NOT NULL
                             THEN greatest(bounds.since, earliest.at) END AS start
                 FROM bounds, earliest
             )
             SELECT to_char(bounds.now AT TIME ZONE 'UTC', {RFC3339}) AS as_of,
                    ARRAY(SELECT to_char(day, 'YYYY-MM-DD')
                          FROM generate_series((bounds.since AT TIME ZONE 'UTC')::date::timestamp,
                                               (bounds.now AT TIME ZONE 'UTC')::date::timestamp,
                                               interval '1 day') AS day) AS days,
                    latency.*,
                    (SELECT to_char(max(finished_at) AT TIME ZONE 'UTC',
                                    {RFC3339}) FROM poll_runs) AS last_poll_at,
                    (SELECT count(*) FROM poll_runs WHERE finished_at >= bounds.since) AS runs,
                    (SELECT count(DISTINCT date_trunc('minute', finished_at)) FROM poll_runs
                     WHERE finished_at >= uptime.start) AS minutes_with_run,
                    floor(extract(epoch FROM bounds.now - uptime.start) / 60)::int8 AS uptime_minutes,
                    pg_total_relation_size('active_calls') AS table_bytes
             FROM bounds, latency, uptime"
            ),
            &[int4(&days)],
        )
        .await?;
    Ok(WindowFacts {
        as_of: row.get("as_of"),
        days: row.get("days"),
        callback: Latency {
            p50: row.get("callback_p50"),
            p95: row.get("callback_p95"),
        },
        poll: Latency {
            p50: row.get("poll_p50"),
            p95: row.get("poll_p95"),
        },
        last_poll_at: row.get("last_poll_at"),
        runs: row.get("runs"),
        minutes_with_run: row.get("minutes_with_run"),
        uptime_minutes: row.get("uptime_minutes"),
        table_bytes: row.get("table_bytes"),
    })
}

/// The newest `RECENT_CALLS` calls of the window, newest first.
pub async fn recent_calls(db: &Client, days: u32) -> Result<Vec<RecentCall>, DbError> {
    let days = days as i32;
    let rows = db
        .query_typed(
            "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS received,
                    from_number, to_number, outcome, processed_by,
                    extract(epoch FROM sms_sent_at - received_at)::float8 AS secs_to_text,
                    sms_status, sms_error_code
             FROM active_calls
             WHERE received_at >= now() - make_interval(days => $1)
             ORDER BY received_at DESC, call_sid LIMIT $2",
            &[int4(&days), super::int8(&RECENT_CALLS)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| RecentCall {
            received: row.get("received"),
            caller: Caller::parse(row.get("from_number")).shown(),
            to_number: row.get("to_number"),
            outcome: row.get("outcome"),
            processed_by: row.get("processed_by"),
            secs_to_text: row.get("secs_to_text"),
            sms_status: row.get("sms_status"),
            sms_error_code: row.get("sms_error_code"),
        })
        .collect())
}
