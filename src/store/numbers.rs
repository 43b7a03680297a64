//! `business_numbers`: the admin API's statements. `get` and `list` are plain SELECTs that
//! Hyperdrive may answer from its cache for up to a minute — fine for the admin API, which decides
//! nothing. The call path never reads this table on its own: Phase 1 reads it inside the INSERT
//! that records the call (`calls::record_incoming`), the claim inside its UPDATE.
use crate::database::{Client, DbError};
use crate::domain::{BusinessNumber, PhoneNumber};
use tokio_postgres::Row;

pub(crate) const COLUMNS: &str =
    "twilio_number, forward_to, business_name, sms_template, dial_timeout_secs, enabled, screen_calls,
     notify_to";

pub(crate) fn from_row(row: &Row) -> Result<BusinessNumber, DbError> {
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
        screen_calls: row.get("screen_calls"),
        notify_to: row
            .get::<_, Option<String>>("notify_to")
            .map(|raw| {
                PhoneNumber::parse(&raw)
                    .map_err(|e| DbError(format!("business_numbers.notify_to: {e}")))
            })
            .transpose()?,
    })
}

/// What an upsert left in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    pub number: BusinessNumber,
    /// True when the number is new, false when it replaced an existing definition.
    pub created: bool,
}

pub async fn upsert(db: &Client, number: &BusinessNumber) -> Result<Upserted, DbError> {
    let row = db
        .query_one(
            &format!(
                "INSERT INTO business_numbers ({COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (twilio_number) DO UPDATE SET
                     forward_to = EXCLUDED.forward_to,
                     business_name = EXCLUDED.business_name,
                     sms_template = EXCLUDED.sms_template,
                     dial_timeout_secs = EXCLUDED.dial_timeout_secs,
                     enabled = EXCLUDED.enabled,
                     screen_calls = EXCLUDED.screen_calls,
                     notify_to = EXCLUDED.notify_to,
                     updated_at = now()
                 RETURNING {COLUMNS}, (xmax = 0) AS created"
            ),
            &[
                &number.twilio_number.as_str(),
                &number.forward_to.as_str(),
                &number.business_name,
                &number.sms_template,
                &(number.dial_timeout_secs as i32),
                &number.enabled,
                &number.screen_calls,
                &number.notify_to.as_ref().map(PhoneNumber::as_str),
            ],
        )
        .await?;
    Ok(Upserted {
        number: from_row(&row)?,
        created: row.get("created"),
    })
}

pub async fn get(
    db: &Client,
    twilio_number: &PhoneNumber,
) -> Result<Option<BusinessNumber>, DbError> {
    let row = db
        .query_opt(
            &format!("SELECT {COLUMNS} FROM business_numbers WHERE twilio_number = $1"),
            &[&twilio_number.as_str()],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Client) -> Result<Vec<BusinessNumber>, DbError> {
    let rows = db
        .query(
            &format!("SELECT {COLUMNS} FROM business_numbers ORDER BY twilio_number"),
            &[],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(db: &Client, twilio_number: &PhoneNumber) -> Result<bool, DbError> {
    let deleted = db
        .execute(
            "DELETE FROM business_numbers WHERE twilio_number = $1",
            &[&twilio_number.as_str()],
        )
        .await?;
    Ok(deleted > 0)
}
