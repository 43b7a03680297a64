//! `poll_runs`: the cron's heartbeat. Every poll run, from the cron trigger or the endpoint, is a
//! row from its start; its end writes the summary (or the error). Health, the cron alarm and the
//! statistics read the newest finished run.
use super::{int8, text, RFC3339};
use crate::database::{Client, DbError};
use crate::domain::Heartbeat;

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Cron,
    Endpoint,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Endpoint => "endpoint",
        }
    }
}

/// A run that has started, and how things stood when it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedRun {
    pub id: i64,
    /// The heartbeat as it was before this run began.
    pub before: Heartbeat,
}

/// The heartbeat's columns, from the indexes on `poll_runs.finished_at` and
/// `active_calls.received_at`: a couple of index probes, whatever the tables' sizes.
fn heartbeat_columns() -> String {
    format!(
        "floor(extract(epoch FROM now()))::int8 AS now, last.at AS last_poll_at,
     to_char(last.finished_at AT TIME ZONE 'UTC', {RFC3339}) AS last_poll_text,
     (SELECT floor(extract(epoch FROM greatest(first.at,
                 (SELECT last_run_at FROM poll_state WHERE job = 'monitoring_since'))))::int8
      FROM (SELECT min(received_at) AS at FROM active_calls) AS first
      WHERE first.at IS NOT NULL) AS watched_since
     FROM (SELECT max(finished_at) AS finished_at,
                  floor(extract(epoch FROM max(finished_at)))::int8 AS at
           FROM poll_runs WHERE finished_at IS NOT NULL) AS last"
    )
}

fn heartbeat_from_row(row: &tokio_postgres::Row) -> Heartbeat {
    Heartbeat {
        now: row.get("now"),
        last_poll_at: row
            .get::<_, Option<i64>>("last_poll_at")
            .zip(row.get::<_, Option<String>>("last_poll_text")),
        watched_since: row.get("watched_since"),
    }
}

/// Records the start of a run, and reads the heartbeat as the run found it in the same statement.
pub async fn start(db: &Client, trigger: Trigger) -> Result<StartedRun, DbError> {
    let row = db
        .query_typed_one(
            &format!(
                "WITH run AS (INSERT INTO poll_runs (trigger) VALUES ($1) RETURNING id)
                 SELECT (SELECT id FROM run) AS id, {}",
                heartbeat_columns()
            ),
            &[text(&trigger.as_str())],
        )
        .await?;
    Ok(StartedRun {
        id: row.get("id"),
        before: heartbeat_from_row(&row),
    })
}

/// The run ended: its summary (JSON) is kept, and it counts as a heartbeat.
pub async fn finish(db: &Client, id: i64, summary: &str) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE poll_runs SET finished_at = now(), summary = $2::text::jsonb WHERE id = $1",
        &[int8(&id), text(&summary)],
    )
    .await?;
    Ok(())
}

/// The run failed: it keeps no `finished_at`, so it is no heartbeat, and says why.
pub async fn fail(db: &Client, id: i64, error: &str) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE poll_runs SET error = $2 WHERE id = $1",
        &[int8(&id), text(&error)],
    )
    .await?;
    Ok(())
}

/// The newest finished run, and since when there are calls to watch, as health and the webhooks'
/// cron check read them.
/// `random()` is volatile, so Hyperdrive never answers this from its cache: health proves the
/// database itself is there.
pub async fn heartbeat(db: &Client) -> Result<Heartbeat, DbError> {
    let row = db
        .query_typed_one(
            &format!("SELECT random() AS fresh, {}", heartbeat_columns()),
            &[],
        )
        .await?;
    Ok(heartbeat_from_row(&row))
}

/// The weekly cleanup: runs are kept as long as the calls are.
pub async fn delete_older_than(db: &Client, days: u32) -> Result<u64, DbError> {
    Ok(db
        .execute(
            "DELETE FROM poll_runs WHERE started_at < now() - make_interval(days => $1::int)",
            &[&(days as i32)],
        )
        .await?)
}
