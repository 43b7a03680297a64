//! Every SQL statement in the project, one file per table. Hyperdrive may answer a plain SELECT
//! from its cache for up to 60 s, so every decision (recording, claiming, settling, leasing) is one
//! mutating statement whose RETURNING clause carries the answer; only reads that may be a minute
//! stale are plain SELECTs, and each file's doc says which those are.
//!
//! A new statement goes in the file of the table it changes; a new table gets a file.
use tokio_postgres::types::{ToSql, Type};

pub mod calls;
pub mod conversation;
pub mod line_types;
#[cfg(not(target_arch = "wasm32"))]
pub mod migrations;
pub mod numbers;
pub mod opt_outs;
pub mod owner_notices;
pub mod poll;
pub mod poll_runs;
pub mod poll_state;
pub mod recordings;
pub mod stats;

/// `to_char`'s pattern for RFC 3339 in UTC (`2026-11-25T19:35:32Z`), after `AT TIME ZONE 'UTC'`.
const RFC3339: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

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

/// Runs a statement that decides many items at once (`run` answers one result per item, in
/// order). When the server refuses it for several, it runs again for each item alone, so a fault
/// in one item's rows (a constraint, a trigger) costs that item alone: a statement the server
/// refused changed nothing. When the connection failed instead, the statement may have committed
/// before its answer was lost, and running it again would misread its own work: every item gets the
/// error, and the poll's recovery takes those calls up. Costs extra round trips only on a refusal.
pub async fn each_alone_on_failure<'a, T, R, F, Fut>(
    db: &crate::database::Client,
    items: &'a [T],
    run: F,
) -> Vec<Result<R, crate::database::DbError>>
where
    F: Fn(&'a [T]) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<R>, crate::database::DbError>>,
{
    match run(items).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(error) if items.len() == 1 || db.is_closed() => {
            items.iter().map(|_| Err(error.clone())).collect()
        }
        Err(_) => {
            let mut results = Vec::with_capacity(items.len());
            for item in items.chunks(1) {
                results.push(run(item).await.and_then(|mut one| {
                    one.pop().ok_or_else(|| {
                        crate::database::DbError("the statement answered nothing".into())
                    })
                }));
            }
            results
        }
    }
}

/// A statement that answers nothing, as `each_alone_on_failure` wants it: a `()` per item.
pub async fn per_item<T>(
    items: &[T],
    done: impl std::future::Future<Output = Result<(), crate::database::DbError>>,
) -> Result<Vec<()>, crate::database::DbError> {
    done.await.map(|()| vec![(); items.len()])
}
