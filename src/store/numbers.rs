//! `business_numbers`: the admin API's statements. `get` and `list` are plain SELECTs that
//! Hyperdrive may answer from its cache for up to a minute — fine for the admin API, which decides
//! nothing. The call path never reads this table on its own: Phase 1 reads it inside the INSERT
//! that records the call (`calls::record_incoming`), the claim inside its UPDATE.
use crate::database::{Client, DbError};
use crate::domain::business::{
    default_calling_codes, QuietAction, TextRules, DEFAULT_VOICEMAIL_GREETING,
};
use crate::domain::{BusinessNumber, PhoneNumber};
use std::collections::BTreeMap;
use tokio_postgres::types::Type;
use tokio_postgres::Row;

pub(crate) const COLUMNS: &str =
    "twilio_number, forward_to, business_name, sms_template, dial_timeout_secs, enabled, screen_calls,
     notify_to, cooldown_hours, blocked_callers, allowed_calling_codes, daily_text_limit,
     skip_landlines, timezone, business_hours, after_hours_template, quiet_hours,
     quiet_hours_action, voicemail, voicemail_greeting, notify_owner";

/// `COLUMNS` of `business_numbers` joined as `b`, for statements that read the number's settings
/// along with a call.
pub(crate) fn joined_columns() -> String {
    COLUMNS
        .split(',')
        .map(|column| format!("b.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The number's settings from a row that LEFT JOINs `business_numbers` with `joined_columns()`:
/// None when the number was deleted.
pub(crate) fn from_joined_row(row: &Row) -> Result<Option<BusinessNumber>, DbError> {
    match row.get::<_, Option<String>>("business_name") {
        None => Ok(None),
        Some(_) => from_row(row).map(Some),
    }
}

pub(crate) fn from_row(row: &Row) -> Result<BusinessNumber, DbError> {
    let bad = |column: &str, e: &dyn std::fmt::Display| {
        DbError(format!("business_numbers.{column}: {e}"))
    };
    let number = |column: &str| {
        let raw: String = row.get(column);
        PhoneNumber::parse(&raw).map_err(|e| bad(column, &e))
    };
    let twilio_number = number("twilio_number")?;
    let blocked_callers = row
        .get::<_, Vec<String>>("blocked_callers")
        .iter()
        .map(|raw| PhoneNumber::parse(raw).map_err(|e| bad("blocked_callers", &e)))
        .collect::<Result<Vec<_>, _>>()?;
    let business_hours = row
        .get::<_, Option<String>>("business_hours")
        .map(|json| {
            serde_json::from_str::<BTreeMap<String, String>>(&json)
                .map_err(|e| bad("business_hours", &e))
        })
        .transpose()?;
    let rules = TextRules {
        cooldown_hours: row.get::<_, i32>("cooldown_hours") as u32,
        blocked_callers,
        allowed_calling_codes: row
            .get::<_, Option<Vec<String>>>("allowed_calling_codes")
            .unwrap_or_else(|| default_calling_codes(&twilio_number)),
        daily_text_limit: row.get::<_, i32>("daily_text_limit") as u32,
        skip_landlines: row.get("skip_landlines"),
        timezone: row.get("timezone"),
        business_hours,
        after_hours_template: row.get("after_hours_template"),
        quiet_hours: row.get("quiet_hours"),
        quiet_hours_action: QuietAction::parse(row.get("quiet_hours_action"))
            .map_err(|e| bad("quiet_hours_action", &e))?,
    };
    Ok(BusinessNumber {
        twilio_number,
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
        rules,
        voicemail: row.get("voicemail"),
        voicemail_greeting: row
            .get::<_, Option<String>>("voicemail_greeting")
            .unwrap_or_else(|| DEFAULT_VOICEMAIL_GREETING.to_string()),
        notify_owner: row.get("notify_owner"),
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
    let rules = &number.rules;
    let blocked: Vec<&str> = rules
        .blocked_callers
        .iter()
        .map(PhoneNumber::as_str)
        .collect();
    let hours = rules
        .business_hours
        .as_ref()
        .map(|hours| serde_json::to_string(hours).unwrap_or_default());
    let row = db
        .query_typed_one(
            &format!(
                "INSERT INTO business_numbers ({COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18, $19, $20, $21)
                 ON CONFLICT (twilio_number) DO UPDATE SET
                     forward_to = EXCLUDED.forward_to,
                     business_name = EXCLUDED.business_name,
                     sms_template = EXCLUDED.sms_template,
                     dial_timeout_secs = EXCLUDED.dial_timeout_secs,
                     enabled = EXCLUDED.enabled,
                     screen_calls = EXCLUDED.screen_calls,
                     notify_to = EXCLUDED.notify_to,
                     cooldown_hours = EXCLUDED.cooldown_hours,
                     blocked_callers = EXCLUDED.blocked_callers,
                     allowed_calling_codes = EXCLUDED.allowed_calling_codes,
                     daily_text_limit = EXCLUDED.daily_text_limit,
                     skip_landlines = EXCLUDED.skip_landlines,
                     timezone = EXCLUDED.timezone,
                     business_hours = EXCLUDED.business_hours,
                     after_hours_template = EXCLUDED.after_hours_template,
                     quiet_hours = EXCLUDED.quiet_hours,
                     quiet_hours_action = EXCLUDED.quiet_hours_action,
                     voicemail = EXCLUDED.voicemail,
                     voicemail_greeting = EXCLUDED.voicemail_greeting,
                     notify_owner = EXCLUDED.notify_owner,
                     updated_at = now()
                 RETURNING {COLUMNS}, (xmax = 0) AS created"
            ),
            &[
                (&number.twilio_number.as_str(), Type::TEXT),
                (&number.forward_to.as_str(), Type::TEXT),
                (&number.business_name, Type::TEXT),
                (&number.sms_template, Type::TEXT),
                (&(number.dial_timeout_secs as i32), Type::INT4),
                (&number.enabled, Type::BOOL),
                (&number.screen_calls, Type::BOOL),
                (
                    &number.notify_to.as_ref().map(PhoneNumber::as_str),
                    Type::TEXT,
                ),
                (&(rules.cooldown_hours as i32), Type::INT4),
                (&blocked, Type::TEXT_ARRAY),
                (&rules.allowed_calling_codes, Type::TEXT_ARRAY),
                (&(rules.daily_text_limit as i32), Type::INT4),
                (&rules.skip_landlines, Type::BOOL),
                (&rules.timezone, Type::TEXT),
                (&hours, Type::TEXT),
                (&rules.after_hours_template, Type::TEXT),
                (&rules.quiet_hours, Type::TEXT),
                (&rules.quiet_hours_action.as_str(), Type::TEXT),
                (&number.voicemail, Type::BOOL),
                (&number.voicemail_greeting, Type::TEXT),
                (&number.notify_owner, Type::BOOL),
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
