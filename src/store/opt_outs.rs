//! `opt_outs`: the callers who told a business number to stop texting them. The claim reads this
//! table inside its own statement (`calls::claim_for_text`), so a text never races an opt-out;
//! these statements only write it.
use super::text;
use crate::database::{Client, DbError};
use crate::domain::PhoneNumber;

/// How the opt-out was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutSource {
    /// The caller texted STOP (or another opt-out keyword) to the number.
    Keyword,
    /// Twilio refused a text to the caller with 21610: they opted out at Twilio.
    Twilio21610,
}

impl OptOutSource {
    fn as_str(self) -> &'static str {
        match self {
            OptOutSource::Keyword => "keyword",
            OptOutSource::Twilio21610 => "twilio_21610",
        }
    }
}

/// `caller` opted out of `twilio_number`'s texts; a repeat keeps the first record.
pub async fn record(
    db: &Client,
    twilio_number: &PhoneNumber,
    caller: &PhoneNumber,
    source: OptOutSource,
) -> Result<(), DbError> {
    db.query_typed(
        "INSERT INTO opt_outs (twilio_number, caller, source) VALUES ($1, $2, $3)
         ON CONFLICT (twilio_number, caller) DO NOTHING",
        &[
            text(&twilio_number.as_str()),
            text(&caller.as_str()),
            text(&source.as_str()),
        ],
    )
    .await?;
    Ok(())
}

/// `caller` texted START: the number may text them again. Returns whether they had opted out.
pub async fn lift(
    db: &Client,
    twilio_number: &PhoneNumber,
    caller: &PhoneNumber,
) -> Result<bool, DbError> {
    let lifted = db
        .query_typed(
            "DELETE FROM opt_outs WHERE twilio_number = $1 AND caller = $2 RETURNING caller",
            &[text(&twilio_number.as_str()), text(&caller.as_str())],
        )
        .await?;
    Ok(!lifted.is_empty())
}
