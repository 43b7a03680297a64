//! `conversation_messages`: replies from leads and the owner's answers. Each inbound message is
//! recorded by one INSERT keyed on its MessageSid, so a webhook Twilio delivers twice is relayed
//! once, and the statement's RETURNING says what to relay (never a cached read).
use super::{int8, text};
use crate::database::{Client, DbError};
use crate::domain::PhoneNumber;

/// A lead's reply, recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReply {
    pub id: i64,
    /// When the lead last called the number (`2:14 PM UTC`), if they did.
    pub missed_call_at: Option<String>,
}

/// Records a reply from `lead` to `twilio_number` against the lead's most recent call to it;
/// None when this MessageSid was recorded before (Twilio delivered the webhook again).
pub async fn record_reply(
    db: &Client,
    twilio_number: &PhoneNumber,
    lead: &PhoneNumber,
    body: &str,
    media_url: Option<&str>,
    message_sid: &str,
) -> Result<Option<RecordedReply>, DbError> {
    let row = db
        .query_typed_opt(
            "WITH last_call AS (
                 SELECT call_sid,
                        to_char(received_at AT TIME ZONE 'UTC', 'FMHH12:MI AM') || ' UTC' AS at
                 FROM active_calls WHERE to_number = $1 AND from_number = $2
                 ORDER BY received_at DESC LIMIT 1
             )
             INSERT INTO conversation_messages (twilio_number, lead, direction, body, media_url,
                                                message_sid, call_sid)
             VALUES ($1, $2, 'from_lead', $3, $4, $5, (SELECT call_sid FROM last_call))
             ON CONFLICT (message_sid) DO NOTHING
             RETURNING id, (SELECT at FROM last_call) AS missed_call_at",
            &[
                text(&twilio_number.as_str()),
                text(&lead.as_str()),
                text(&body),
                text(&media_url),
                text(&message_sid),
            ],
        )
        .await?;
    Ok(row.map(|row| RecordedReply {
        id: row.get("id"),
        missed_call_at: row.get("missed_call_at"),
    }))
}

/// Where the owner's answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Recorded as message `id`: relay it to `lead`.
    Relay { id: i64, lead: PhoneNumber },
    /// No lead was named and nobody has written to the number yet.
    NoLead,
    /// The lead opted out of the number's texts: not relayed.
    OptedOut { lead: PhoneNumber },
    /// This MessageSid was recorded before (Twilio delivered the webhook again).
    Repeated,
}

/// Records the owner's answer from `body` to `named` (or, when None, to the lead who most recently
/// wrote to `twilio_number`), unless that lead opted out: one statement, so the choice of lead,
/// the opt-out and the repeat are decided together.
pub async fn record_answer(
    db: &Client,
    twilio_number: &PhoneNumber,
    named: Option<&PhoneNumber>,
    body: &str,
    message_sid: &str,
) -> Result<Answer, DbError> {
    let row = db
        .query_typed_one(
            "WITH target AS (
                 SELECT COALESCE($2, (SELECT lead FROM conversation_messages
                                      WHERE twilio_number = $1 AND direction = 'from_lead'
                                      ORDER BY received_at DESC LIMIT 1)) AS lead
             ), opted AS (
                 SELECT EXISTS (SELECT 1 FROM opt_outs o, target t
                                WHERE o.twilio_number = $1 AND o.caller = t.lead) AS opted_out
             ), inserted AS (
                 INSERT INTO conversation_messages (twilio_number, lead, direction, body, message_sid)
                 SELECT $1, t.lead, 'to_lead', $3, $4 FROM target t, opted
                 WHERE t.lead IS NOT NULL AND NOT opted.opted_out
                 ON CONFLICT (message_sid) DO NOTHING
                 RETURNING id
             )
             SELECT (SELECT lead FROM target) AS lead, (SELECT opted_out FROM opted) AS opted_out,
                    (SELECT id FROM inserted) AS id,
                    EXISTS (SELECT 1 FROM conversation_messages WHERE message_sid = $4) AS repeated",
            &[
                text(&twilio_number.as_str()),
                text(&named.map(PhoneNumber::as_str)),
                text(&body),
                text(&message_sid),
            ],
        )
        .await?;
    let lead = row
        .get::<_, Option<String>>("lead")
        .map(|raw| {
            PhoneNumber::parse(&raw)
                .map_err(|e| DbError(format!("conversation_messages.lead: {e}")))
        })
        .transpose()?;
    Ok(
        match (lead, row.get::<_, Option<i64>>("id"), row.get("opted_out")) {
            (_, _, _) if row.get("repeated") => Answer::Repeated,
            (None, _, _) => Answer::NoLead,
            (Some(lead), _, true) => Answer::OptedOut { lead },
            (Some(lead), Some(id), false) => Answer::Relay { id, lead },
            // The insert met a message with this SID that the snapshot did not show yet: a
            // repeat racing this one.
            (Some(_), None, false) => Answer::Repeated,
        },
    )
}

/// What became of relaying message `id`: Twilio's MessageSid, or why it was not sent.
pub async fn record_relay(
    db: &Client,
    id: i64,
    relayed: Result<&str, &str>,
) -> Result<(), DbError> {
    let (sid, error) = match relayed {
        Ok(sid) => (Some(sid), None),
        Err(error) => (None, Some(error)),
    };
    db.query_typed(
        "UPDATE conversation_messages SET relay_sid = $2, relay_error = $3 WHERE id = $1",
        &[int8(&id), text(&sid), text(&error)],
    )
    .await?;
    Ok(())
}
