//! `line_types`: Lookup's answers, one row per phone number, so a caller's line type is paid for
//! once every `LINE_TYPE_CACHE_DAYS` rather than on every call. `cached` is a plain SELECT (the
//! store's doc): Hyperdrive may answer it from its cache up to a minute stale, and the worst that
//! does is one more paid Lookup for a caller who calls twice within that minute.
use super::{int4, text};
use crate::database::{Client, DbError};
use crate::domain::line_type::LineType;
use crate::domain::PhoneNumber;

/// `phone`'s line type, if Lookup's answer is younger than `max_age_days`.
pub async fn cached(
    db: &Client,
    phone: &PhoneNumber,
    max_age_days: u32,
) -> Result<Option<LineType>, DbError> {
    let days = max_age_days.min(i32::MAX as u32) as i32;
    let row = db
        .query_typed(
            "SELECT line_type FROM line_types
             WHERE phone = $1 AND looked_up_at > now() - make_interval(days => $2)",
            &[text(&phone.as_str()), int4(&days)],
        )
        .await?;
    Ok(row
        .first()
        .map(|row| LineType::parse(row.get::<_, &str>(0))))
}

/// Lookup said `line_type` for `phone` just now: kept, or replaced and its age reset.
pub async fn remember(
    db: &Client,
    phone: &PhoneNumber,
    line_type: &LineType,
) -> Result<(), DbError> {
    db.query_typed(
        "INSERT INTO line_types (phone, line_type, looked_up_at) VALUES ($1, $2, now())
         ON CONFLICT (phone) DO UPDATE SET line_type = EXCLUDED.line_type,
                                           looked_up_at = EXCLUDED.looked_up_at",
        &[text(&phone.as_str()), text(&line_type.as_str())],
    )
    .await?;
    Ok(())
}

/// The weekly cleanup: answers older than `days` are deleted (`cached` ignores them already).
pub async fn delete_older_than(db: &Client, days: u32) -> Result<u64, DbError> {
    let days = days.min(i32::MAX as u32) as i32;
    Ok(db
        .execute(
            "DELETE FROM line_types WHERE looked_up_at < now() - make_interval(days => $1::int)",
            &[&days],
        )
        .await?)
}
