//! `active_calls.owner_notified_at` and `voicemail_notified_at`: the owner's heads-ups, each claimed
//! once per call before it is sent, so a repeated callback or a second path sends nothing. Kept
//! apart from `calls` (whose claim decides the caller's text): these touch only their own column.
use super::text;
use crate::database::{Client, DbError};
use crate::domain::owner_notice::NoticeKind;

fn column(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::MissedCall => "owner_notified_at",
        NoticeKind::Voicemail => "voicemail_notified_at",
    }
}

/// Claims the `kind` heads-up of `call_sid`: true for the one caller that may send it; false when
/// it was claimed before, or no call has that SID.
pub async fn claim(db: &Client, call_sid: &str, kind: NoticeKind) -> Result<bool, DbError> {
    let column = column(kind);
    let claimed = db
        .query_typed(
            &format!(
                "UPDATE active_calls SET {column} = now()
                 WHERE call_sid = $1 AND {column} IS NULL
                 RETURNING call_sid"
            ),
            &[text(&call_sid)],
        )
        .await?;
    Ok(!claimed.is_empty())
}
