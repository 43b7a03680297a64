//! `active_calls.recording_*`: the caller's voicemail, stored by its recording status callback.
//! Kept apart from `calls` (the text's life): a recording decides nothing about the text. The
//! statement reads the number's settings in the same round trip (for the owner's heads-up), so the
//! callback never depends on a cached SELECT.
use super::numbers::{from_joined_row, joined_columns};
use super::{int4, text};
use crate::database::{Client, DbError};
use crate::domain::{BusinessNumber, CallRef};

/// A finished voicemail, as its status callback reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub call: CallRef,
    pub recording_sid: String,
    pub url: String,
    pub duration_secs: u32,
}

/// What storing a recording found.
#[derive(Debug, Clone)]
pub struct Stored {
    /// False when the call already had a recording (a repeated callback): nothing changed.
    pub new: bool,
    /// The called number's settings; None when it is not configured (any more).
    pub business: Option<BusinessNumber>,
}

/// Stores the recording on its call, inserting the call from the callback's numbers when Phase 1
/// could not record it. The first recording stays: a repeated callback changes nothing.
pub async fn record(db: &Client, recording: &Recording) -> Result<Stored, DbError> {
    let duration = i32::try_from(recording.duration_secs).unwrap_or(i32::MAX);
    let row = db
        .query_typed_one(
            &format!(
                "WITH recorded AS (
                     INSERT INTO active_calls AS c (call_sid, from_number, to_number, recording_sid,
                         recording_url, recording_duration)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (call_sid) DO UPDATE SET
                         recording_sid = EXCLUDED.recording_sid,
                         recording_url = EXCLUDED.recording_url,
                         recording_duration = EXCLUDED.recording_duration
                     WHERE c.recording_sid IS NULL
                     RETURNING c.call_sid
                 )
                 SELECT EXISTS (SELECT 1 FROM recorded) AS new, {}
                 FROM (SELECT 1) AS one LEFT JOIN business_numbers b ON b.twilio_number = $3",
                joined_columns()
            ),
            &[
                text(&recording.call.call_sid),
                text(&recording.call.from.as_str()),
                text(&recording.call.to.as_str()),
                text(&recording.recording_sid),
                text(&recording.url),
                int4(&duration),
            ],
        )
        .await?;
    Ok(Stored {
        new: row.get("new"),
        business: from_joined_row(&row)?,
    })
}
