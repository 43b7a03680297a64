//! `poll_state`: when a periodic part of the poll last ran. Claiming a run is one mutating
//! statement, so overlapping poll runs (and Hyperdrive's cache) never let two of them take it.
use super::{int4, text};
use crate::database::{Client, DbError};

/// Claims `job`'s run when it last ran more than `every_secs` ago (or never): returns the
/// database's now (seconds since the epoch) to the one caller that got it, None to every other.
pub async fn claim_run(db: &Client, job: &str, every_secs: u32) -> Result<Option<i64>, DbError> {
    let row = db
        .query_typed_opt(
            "INSERT INTO poll_state AS s (job, last_run_at) VALUES ($1, now())
             ON CONFLICT (job) DO UPDATE SET last_run_at = now()
             WHERE s.last_run_at < now() - make_interval(secs => $2::int)
             RETURNING floor(extract(epoch FROM s.last_run_at))::int8 AS now",
            &[text(&job), int4(&(every_secs as i32))],
        )
        .await?;
    Ok(row.map(|row| row.get("now")))
}

/// Gives a claimed run back, as if it had not happened (an alert whose POST failed on the way):
/// the next caller of `claim_run` gets it.
pub async fn release(db: &Client, job: &str, every_secs: u32) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE poll_state SET last_run_at = last_run_at - make_interval(secs => $2::int)
         WHERE job = $1",
        &[text(&job), int4(&(every_secs as i32))],
    )
    .await?;
    Ok(())
}
