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
