//! `active_calls`: a call's life from Phase 1 to its outcome. Every statement here decides
//! something (records, claims, settles), so each is an INSERT or UPDATE that Hyperdrive never
//! caches, and the answer comes back in its RETURNING clause. `claim_for_text` is the only dedup
//! decision in the code base.
use super::{boolean, int4, int8, numbers, text};
use crate::database::{Client, DbError};
use crate::domain::message_status::FAILURES;
use crate::domain::{
    BusinessNumber, CallRef, Caller, DialStatus, MessageStatus, Outcome, PhoneNumber, ProcessedBy,
};
use tokio_postgres::types::Type;

/// Phase 1 in one round trip: look the called number up and, when it is in service, record the
/// call. `ON CONFLICT DO NOTHING` makes Twilio's retries neither duplicate nor reset the row, and the
/// INSERT keeps the statement out of Hyperdrive's cache. A screened number's call is recorded as
/// `screened`: its forward's completion alone proves nothing. A call from the phone the number forwards
/// to is not forwarded (it would ring the caller), so it is settled here as `own_number`.
pub async fn record_incoming(
    db: &Client,
    call_sid: &str,
    from: &Caller,
    to: &PhoneNumber,
) -> Result<Option<BusinessNumber>, DbError> {
    let row = db
        .query_typed_opt(
            &format!(
                "WITH business AS (
                     SELECT {} FROM business_numbers WHERE twilio_number = $3
                 ), recorded AS (
                     INSERT INTO active_calls (call_sid, from_number, to_number, dial_timeout_secs,
                         screened, outcome, processed, processed_at, processed_by)
                     SELECT $1, $2, twilio_number, dial_timeout_secs, screen_calls,
                            CASE WHEN forward_to = $2 THEN 'own_number' END, forward_to = $2,
                            CASE WHEN forward_to = $2 THEN now() END,
                            CASE WHEN forward_to = $2 THEN 'callback' END
                     FROM business WHERE enabled
                     ON CONFLICT (call_sid) DO NOTHING
                 )
                 SELECT * FROM business",
                numbers::COLUMNS
            ),
            &[text(&call_sid), text(&from.as_str()), text(&to.as_str())],
        )
        .await?;
    row.as_ref().map(numbers::from_row).transpose()
}

/// A claim still `sending` after this long belongs to a path that died between claim and send:
/// far longer than the fast path's send can take (waitUntil ends after 30 s). The poll's own claims
/// are also leased (`poll::LEASE_SECS`, renewed per batch), so no other run takes them while their
/// run works its batch. Its text may have gone, so only the poll takes it up, and looks at Twilio
/// first.
pub const STALE_CLAIM_SECS: i32 = 5 * 60;

/// What the winner of a claim needs to decide on the text and send it.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The claim settled the call without a text instead: `own_number` (the caller is one of the
    /// business's own phones) or `opted_out` (the caller texted STOP to the number, or Twilio
    /// refused a text to them with 21610). Nothing is sent.
    pub settled: Option<Outcome>,
    /// 1 for the first send, counting up with every retry.
    pub attempt: i32,
    /// The number's settings, read in the statement that claims; None when the business number
    /// was deleted after the call came in.
    pub business: Option<BusinessNumber>,
    /// When the call came in (seconds since the epoch).
    pub received_at: i64,
    /// The text waited for quiet hours to end: it is due now, whatever the hour says.
    pub deferred: bool,
    /// The call already counts against the cooldown and the daily limit (a retry).
    pub reserved: bool,
}

/// THE deduplication decision, and the only one in the code base. One atomic statement claims
/// each call for texting: it inserts the call when Phase 1 never recorded it, or takes it when it
/// is undecided, or when a retryable send failure has come due. Concurrent claimers serialise on
/// the row lock and re-check the WHERE clause, so exactly one of them gets a row back. The poll
/// claims many calls in the one statement, each row as atomically as a single one; the fast path
/// claims its one. A call whose screened forward a person accepted is never claimed: it was
/// answered. A caller who is one of the business's own phones (any configured Twilio number,
/// forwarding target or notify phone) is settled as `own_number`, and a caller who opted out of
/// the number's texts as `opted_out`, by the same statement, so no path can text the business
/// itself or a caller who said STOP.
///
/// A text that may already have gone out is never claimed here: a failure marked
/// `sms_maybe_sent`, or a claim a crash left in `sending`. The poll looks those up at Twilio and
/// adopts what it finds, or clears the doubt (`record_not_sent`) before claiming; a late or
/// repeated callback leaves them alone, so no path resends blind.
///
/// Returns a claim or None for each call, in the order given.
pub async fn claim_for_text(
    db: &Client,
    calls: &[(&CallRef, Option<&DialStatus>)],
    by: ProcessedBy,
) -> Result<Vec<Option<Claim>>, DbError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let sids: Vec<&str> = calls.iter().map(|(c, _)| c.call_sid.as_str()).collect();
    let froms: Vec<&str> = calls.iter().map(|(c, _)| c.from.as_str()).collect();
    let tos: Vec<&str> = calls.iter().map(|(c, _)| c.to.as_str()).collect();
    let statuses: Vec<Option<&str>> = calls
        .iter()
        .map(|(_, s)| s.map(DialStatus::as_str))
        .collect();
    let rows = db
        .query_typed(
            &format!("WITH input AS (
                 SELECT DISTINCT ON (call_sid) *
                 FROM unnest($1::text[], $2::text[], $3::text[], $5::text[])
                      AS r(call_sid, caller, called, dial_status)
                 ORDER BY call_sid
             ), own AS (
                 SELECT input.*, CASE
                     WHEN EXISTS (SELECT 1 FROM business_numbers
                                  WHERE twilio_number = caller OR forward_to = caller
                                     OR notify_to = caller)
                         THEN 'own_number'
                     WHEN EXISTS (SELECT 1 FROM opt_outs o
                                  WHERE o.twilio_number = called AND o.caller = input.caller)
                         THEN 'opted_out'
                 END AS settled
                 FROM input
             ), claimed AS (
                 INSERT INTO active_calls AS c (call_sid, from_number, to_number, processed,
                     processed_at, processed_by, outcome, claimed_at, sms_attempts, dial_call_status)
                 SELECT call_sid, caller, called, settled IS NOT NULL,
                        CASE WHEN settled IS NOT NULL THEN now() END,
                        $4, COALESCE(settled, 'sending'), now(),
                        CASE WHEN settled IS NOT NULL THEN 0 ELSE 1 END, dial_status
                 FROM own
                 ORDER BY call_sid
                 ON CONFLICT (call_sid) DO UPDATE SET
                     processed = EXCLUDED.processed,
                     processed_at = EXCLUDED.processed_at,
                     processed_by = EXCLUDED.processed_by,
                     outcome = EXCLUDED.outcome,
                     claimed_at = now(),
                     sms_attempts = c.sms_attempts + EXCLUDED.sms_attempts,
                     dial_call_status = COALESCE(EXCLUDED.dial_call_status, c.dial_call_status)
                 WHERE (c.outcome IS NULL
                        OR (c.outcome = 'owed' AND c.next_attempt_at <= now() AND NOT c.sms_maybe_sent))
                   AND c.accepted_at IS NULL
                 RETURNING c.call_sid, c.to_number AS call_to, c.sms_attempts, c.outcome,
                           c.deferred, c.text_reserved,
                           floor(extract(epoch FROM c.received_at))::int8 AS received
             )
             SELECT claimed.*, {}
             FROM claimed LEFT JOIN business_numbers b ON b.twilio_number = claimed.call_to",
            numbers::joined_columns()),
            &[
                (&sids, Type::TEXT_ARRAY),
                (&froms, Type::TEXT_ARRAY),
                (&tos, Type::TEXT_ARRAY),
                text(&by.as_str()),
                (&statuses, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut claims = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let claim = Claim {
            settled: match row.get::<_, String>("outcome").as_str() {
                "own_number" => Some(Outcome::OwnNumber),
                "opted_out" => Some(Outcome::OptedOut),
                _ => None,
            },
            attempt: row.get("sms_attempts"),
            business: numbers::from_joined_row(row)?,
            received_at: row.get("received"),
            deferred: row.get("deferred"),
            reserved: row.get("text_reserved"),
        };
        claims.insert(row.get::<_, String>("call_sid"), claim);
    }
    Ok(sids.iter().map(|sid| claims.remove(*sid)).collect())
}

/// What `reserve_text` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The text may go: it holds the caller's cooldown and counts against the day's limit.
    Granted,
    /// The call was settled without a text: `cooldown` or `daily_limit`.
    Refused(Outcome),
    /// The call is not claimed (any more): nothing to do.
    NotClaimed,
}

/// A text about to be sent, to reserve against the caller's cooldown and the number's day.
#[derive(Debug, Clone)]
pub struct TextToReserve<'a> {
    pub call: &'a CallRef,
    pub caller: &'a PhoneNumber,
    pub cooldown_hours: u32,
    pub daily_limit: u32,
    /// The number's local day (`YYYY-MM-DD`).
    pub day: String,
    /// The text, kept on the call (what the poll looks for at Twilio after a crash).
    pub body: String,
}

/// The rules that count, decided with the texts about to be sent, in one statement, next to the
/// claim. The caller's cooldown is a row per (number, caller): taking it is an
/// `INSERT … ON CONFLICT DO UPDATE … WHERE` the last text is older than `cooldown_hours` (or was
/// this call's), so concurrent calls from one caller serialise on that row and re-check the
/// condition against the winner's write: one of them gets it (within one statement, the first by
/// call SID). The day's counter grows by the texts that took their cooldown, up to `daily_limit`,
/// by the same kind of statement; the first calls by SID get what it let through (`granted`,
/// read back in the same statement). A refusal settles the call in the same statement. A retry
/// (the call already reserved) is not counted twice. Returns the decision for each text, in the
/// order given.
pub async fn reserve_text(
    db: &Client,
    texts: &[TextToReserve<'_>],
) -> Result<Vec<Reservation>, DbError> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let sids: Vec<&str> = texts.iter().map(|t| t.call.call_sid.as_str()).collect();
    let numbers: Vec<&str> = texts.iter().map(|t| t.call.to.as_str()).collect();
    let callers: Vec<&str> = texts.iter().map(|t| t.caller.as_str()).collect();
    let cooldowns: Vec<i32> = texts.iter().map(|t| t.cooldown_hours as i32).collect();
    let days: Vec<&str> = texts.iter().map(|t| t.day.as_str()).collect();
    let limits: Vec<i32> = texts.iter().map(|t| t.daily_limit as i32).collect();
    let bodies: Vec<&str> = texts.iter().map(|t| t.body.as_str()).collect();
    let rows = db
        .query_typed(
            "WITH input AS (
                 SELECT DISTINCT ON (r.call_sid) r.*, a.text_reserved
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                             $7::text[]) AS r(call_sid, number, caller, cooldown, day, day_limit, body)
                 JOIN active_calls a ON a.call_sid = r.call_sid AND a.outcome = 'sending'
                 ORDER BY r.call_sid
             ), slot AS (
                 INSERT INTO caller_cooldowns AS s (twilio_number, caller, call_sid, texted_at)
                 SELECT DISTINCT ON (number, caller) number, caller, call_sid, now()
                 FROM input WHERE NOT text_reserved AND cooldown > 0
                 ORDER BY number, caller, call_sid
                 ON CONFLICT (twilio_number, caller) DO UPDATE SET
                     call_sid = EXCLUDED.call_sid, texted_at = now()
                 WHERE s.texted_at <= now() - make_interval(hours => (
                           SELECT i.cooldown FROM input i WHERE i.call_sid = EXCLUDED.call_sid))
                    OR s.call_sid = EXCLUDED.call_sid
                 RETURNING s.call_sid
             ), free AS (
                 SELECT i.*, i.text_reserved OR i.cooldown = 0
                             OR EXISTS (SELECT 1 FROM slot WHERE slot.call_sid = i.call_sid) AS cool
                 FROM input i
             ), wanted AS (
                 SELECT number, day::date AS day, min(day_limit) AS day_limit, count(*)::int AS n
                 FROM free WHERE cool AND NOT text_reserved AND day_limit > 0
                 GROUP BY number, day::date
             ), counted AS (
                 INSERT INTO daily_text_counts AS d (twilio_number, day, texts, granted)
                 SELECT number, day, least(n, day_limit), least(n, day_limit) FROM wanted
                 ORDER BY number, day
                 ON CONFLICT (twilio_number, day) DO UPDATE SET (texts, granted) = (
                     SELECT greatest(d.texts, least(d.texts + w.n, w.day_limit)),
                            greatest(0, least(d.texts + w.n, w.day_limit) - d.texts)
                     FROM wanted w WHERE w.number = d.twilio_number AND w.day = d.day)
                 RETURNING d.twilio_number, d.day, d.granted
             ), ranked AS (
                 SELECT call_sid, number, day::date AS day,
                        row_number() OVER (PARTITION BY number, day ORDER BY call_sid) AS nth
                 FROM free WHERE cool AND NOT text_reserved AND day_limit > 0
             ), verdict AS (
                 SELECT f.call_sid, f.body, CASE
                     WHEN f.text_reserved THEN NULL
                     WHEN NOT f.cool THEN 'cooldown'
                     WHEN EXISTS (SELECT 1 FROM ranked r
                                  JOIN counted k ON k.twilio_number = r.number AND k.day = r.day
                                  WHERE r.call_sid = f.call_sid AND r.nth <= k.granted) THEN NULL
                     ELSE 'daily_limit'
                 END AS refused
                 FROM free f
             )
             UPDATE active_calls AS c
             SET sms_body = v.body,
                 text_reserved = v.refused IS NULL,
                 outcome = COALESCE(v.refused, c.outcome),
                 processed = v.refused IS NOT NULL,
                 processed_at = CASE WHEN v.refused IS NOT NULL THEN now() END,
                 sms_attempts = CASE WHEN v.refused IS NOT NULL THEN 0 ELSE c.sms_attempts END
             FROM verdict v
             WHERE c.call_sid = v.call_sid AND c.outcome = 'sending'
             RETURNING c.call_sid, v.refused",
            &[
                (&sids, Type::TEXT_ARRAY),
                (&numbers, Type::TEXT_ARRAY),
                (&callers, Type::TEXT_ARRAY),
                (&cooldowns, Type::INT4_ARRAY),
                (&days, Type::TEXT_ARRAY),
                (&limits, Type::INT4_ARRAY),
                (&bodies, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut decided = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let reservation = match row.get::<_, Option<String>>("refused").as_deref() {
            None => Reservation::Granted,
            Some("cooldown") => Reservation::Refused(Outcome::Cooldown),
            Some(_) => Reservation::Refused(Outcome::DailyLimit),
        };
        decided.insert(row.get::<_, String>("call_sid"), reservation);
    }
    Ok(sids
        .iter()
        .map(|sid| decided.remove(*sid).unwrap_or(Reservation::NotClaimed))
        .collect())
}

/// Calls refused by the daily limit give back the callers' cooldowns they took on the way, in one
/// statement, so each caller is texted on their next call once texts are allowed again.
pub async fn release_cooldown(db: &Client, calls: &[&CallRef]) -> Result<(), DbError> {
    if calls.is_empty() {
        return Ok(());
    }
    let numbers: Vec<&str> = calls.iter().map(|c| c.to.as_str()).collect();
    let sids: Vec<&str> = calls.iter().map(|c| c.call_sid.as_str()).collect();
    db.query_typed(
        "DELETE FROM caller_cooldowns
         WHERE (twilio_number, call_sid) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        &[(&numbers, Type::TEXT_ARRAY), (&sids, Type::TEXT_ARRAY)],
    )
    .await?;
    Ok(())
}

/// A claimed call that a rule keeps from being texted (blocked, country, quiet hours, landline)
/// is settled with that outcome, and gives back the caller's cooldown if it holds it (a retry, or
/// a reservation just made): no text went, so none should keep the caller's next call from one.
/// `uncount_day`: the local day whose count the reservation just incremented, taken back too.
pub async fn settle_skipped(
    db: &Client,
    call: &CallRef,
    outcome: Outcome,
    uncount_day: Option<&str>,
) -> Result<(), DbError> {
    db.query_typed(
        "WITH released AS (
             DELETE FROM caller_cooldowns WHERE twilio_number = $3 AND call_sid = $1
         ), uncounted AS (
             UPDATE daily_text_counts SET texts = texts - 1
             WHERE twilio_number = $3 AND day = $4::date AND texts > 0
         )
         UPDATE active_calls
         SET outcome = $2, processed = true, processed_at = now(), sms_attempts = 0,
             next_attempt_at = NULL, deferred = false, text_reserved = false
         WHERE call_sid = $1 AND outcome = 'sending'",
        &[
            text(&call.call_sid),
            text(&outcome.as_str()),
            text(&call.to.as_str()),
            text(&uncount_day),
        ],
    )
    .await?;
    Ok(())
}

/// Quiet hours: the claimed text is owed at `until` (seconds since the epoch), marked deferred so
/// the rules let it go then and the poll does not expire it first. Waiting is not an attempt. A
/// retry that held the caller's cooldown gives it back, and reserves again when it goes, so the
/// cooldown counts from the text that is actually sent.
pub async fn defer_text(db: &Client, call: &CallRef, until: i64) -> Result<(), DbError> {
    db.query_typed(
        "WITH released AS (
             DELETE FROM caller_cooldowns WHERE twilio_number = $3 AND call_sid = $1
         )
         UPDATE active_calls
         SET outcome = 'owed', deferred = true, next_attempt_at = to_timestamp($2),
             sms_attempts = greatest(sms_attempts - 1, 0), text_reserved = false
         WHERE call_sid = $1 AND outcome = 'sending'",
        &[text(&call.call_sid), int8(&until), text(&call.to.as_str())],
    )
    .await?;
    Ok(())
}

/// The SET clause that takes up, in one look at the table, a status callback which came before the
/// text's MessageSid (`message_sid`, an SQL expression) was recorded on the call (kept in
/// `early_message_statuses` by `record_message_status`); no such row sets them all NULL, as before
/// any callback.
fn early_status(message_sid: &str) -> String {
    format!(
        "(sms_status, sms_status_rank, sms_error_code, sms_status_at, sms_delivered_at) = (
             SELECT sms_status, sms_status_rank, sms_error_code, received_at,
                    CASE WHEN delivered THEN received_at END
             FROM early_message_statuses WHERE message_sid = {message_sid}
         )"
    )
}

/// The texts went to Twilio, each as its `(call SID, MessageSid)`: the calls are settled as
/// texted (with any status callback that beat this statement to the database), in one statement.
pub async fn record_sms_sent(db: &Client, sent: &[(&str, &str)]) -> Result<(), DbError> {
    if sent.is_empty() {
        return Ok(());
    }
    let sids: Vec<&str> = sent.iter().map(|(call, _)| *call).collect();
    let messages: Vec<&str> = sent.iter().map(|(_, message)| *message).collect();
    db.query_typed(
        &format!(
            "UPDATE active_calls AS c
         SET outcome = 'texted', sms_sid = r.message_sid, sms_sent_at = now(), sms_error = NULL,
             sms_maybe_sent = false, next_attempt_at = NULL, processed = true,
             processed_at = now(), {}
         FROM unnest($1::text[], $2::text[]) AS r(call_sid, message_sid)
         WHERE c.call_sid = r.call_sid",
            early_status("r.message_sid")
        ),
        &[(&sids, Type::TEXT_ARRAY), (&messages, Type::TEXT_ARRAY)],
    )
    .await?;
    Ok(())
}

/// A send that did not go through: `retry_in_secs` Some leaves the text owed for the poll, None
/// ends it as failed with `reason`. `maybe_sent` marks a failure after which the text may have
/// gone anyway, so the poll looks it up before sending again; a mark stays until a lookup clears
/// it (`record_not_sent`), whatever a later failure says. A text that failed for good, and surely
/// did not go, gives the caller's cooldown back.
pub async fn record_sms_failure(
    db: &Client,
    call_sid: &str,
    reason: &str,
    retry_in_secs: Option<i32>,
    maybe_sent: bool,
) -> Result<(), DbError> {
    db.query_typed(
        "WITH released AS (
             DELETE FROM caller_cooldowns WHERE call_sid = $1 AND $3::int IS NULL AND NOT $4
               AND NOT EXISTS (SELECT 1 FROM active_calls WHERE call_sid = $1 AND sms_maybe_sent)
         )
         UPDATE active_calls
         SET sms_error = $2,
             outcome = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'owed' END,
             processed = $3::int IS NULL,
             processed_at = CASE WHEN $3::int IS NULL THEN now() END,
             next_attempt_at = now() + make_interval(secs => $3::int),
             sms_maybe_sent = sms_maybe_sent OR $4
         WHERE call_sid = $1",
        &[
            text(&call_sid),
            text(&reason),
            int4(&retry_in_secs),
            boolean(&maybe_sent),
        ],
    )
    .await?;
    Ok(())
}

/// Twilio refused the text with 21610: the caller opted out at Twilio. The call settles as
/// `opted_out` and the opt-out is recorded for the number, in one statement, so the next call from
/// them is not attempted.
pub async fn settle_opted_out_at_twilio(db: &Client, call: &CallRef) -> Result<(), DbError> {
    db.query_typed(
        "WITH opted AS (
             INSERT INTO opt_outs (twilio_number, caller, source)
             SELECT to_number, from_number, 'twilio_21610' FROM active_calls WHERE call_sid = $1
             ON CONFLICT (twilio_number, caller) DO NOTHING
         )
         UPDATE active_calls
         SET outcome = 'opted_out', sms_error = '21610', processed = true, processed_at = now(),
             next_attempt_at = NULL
         WHERE call_sid = $1",
        &[text(&call.call_sid)],
    )
    .await?;
    Ok(())
}

/// Settles calls that get no text (answered, not found, no caller ID), in one statement; returns
/// for each whether it was settled now. Never overrides a decision already taken, so a late
/// "answered" cannot hide a text that went out.
pub async fn settle_without_text(
    db: &Client,
    calls: &[(&CallRef, Outcome, Option<&DialStatus>)],
    by: ProcessedBy,
) -> Result<Vec<bool>, DbError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let sids: Vec<&str> = calls.iter().map(|(c, _, _)| c.call_sid.as_str()).collect();
    let froms: Vec<&str> = calls.iter().map(|(c, _, _)| c.from.as_str()).collect();
    let tos: Vec<&str> = calls.iter().map(|(c, _, _)| c.to.as_str()).collect();
    let outcomes: Vec<&str> = calls.iter().map(|(_, o, _)| o.as_str()).collect();
    let statuses: Vec<Option<&str>> = calls
        .iter()
        .map(|(_, _, s)| s.map(DialStatus::as_str))
        .collect();
    let settled = db
        .query_typed(
            "INSERT INTO active_calls AS c (call_sid, from_number, to_number, processed,
                 processed_at, processed_by, outcome, dial_call_status)
             SELECT DISTINCT ON (call_sid) call_sid, caller, called, true, now(), $4, outcome,
                    dial_status
             FROM unnest($1::text[], $2::text[], $3::text[], $5::text[], $6::text[])
                  AS r(call_sid, caller, called, outcome, dial_status)
             ORDER BY call_sid
             ON CONFLICT (call_sid) DO UPDATE SET
                 processed = true,
                 processed_at = now(),
                 processed_by = EXCLUDED.processed_by,
                 outcome = EXCLUDED.outcome,
                 dial_call_status = COALESCE(EXCLUDED.dial_call_status, c.dial_call_status)
             WHERE c.outcome IS NULL
             RETURNING c.call_sid",
            &[
                (&sids, Type::TEXT_ARRAY),
                (&froms, Type::TEXT_ARRAY),
                (&tos, Type::TEXT_ARRAY),
                text(&by.as_str()),
                (&outcomes, Type::TEXT_ARRAY),
                (&statuses, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let settled: std::collections::HashSet<String> = settled.iter().map(|row| row.get(0)).collect();
    Ok(sids.iter().map(|sid| settled.contains(*sid)).collect())
}

/// A screened forward ended: when a person accepted it (pressed a key), it was answered, and the
/// call is settled so; returns whether it was. A call nobody accepted is left undecided for the
/// missed-call handler, whose claim re-checks the acceptance in the same statement.
pub async fn settle_if_accepted(
    db: &Client,
    call_sid: &str,
    by: ProcessedBy,
    dial_status: Option<&DialStatus>,
) -> Result<bool, DbError> {
    let settled = db
        .query_typed(
            "UPDATE active_calls
             SET outcome = 'answered', processed = true, processed_at = now(), processed_by = $2,
                 dial_call_status = COALESCE($3, dial_call_status)
             WHERE call_sid = $1 AND accepted_at IS NOT NULL AND outcome IS NULL
             RETURNING call_sid",
            &[
                text(&call_sid),
                text(&by.as_str()),
                text(&dial_status.map(DialStatus::as_str)),
            ],
        )
        .await?;
    Ok(!settled.is_empty())
}

/// A person pressed a key on the screened forward of `call`: the call is noted as accepted (and
/// recorded, when Phase 1 could not). A call already settled, or claimed for a text, is left as it
/// is; returns whether the acceptance was recorded.
pub async fn record_acceptance(db: &Client, call: &CallRef) -> Result<bool, DbError> {
    let accepted = db
        .query_typed(
            "INSERT INTO active_calls AS c (call_sid, from_number, to_number, screened, accepted_at)
             VALUES ($1, $2, $3, true, now())
             ON CONFLICT (call_sid) DO UPDATE SET
                 screened = true,
                 accepted_at = COALESCE(c.accepted_at, now())
             WHERE c.outcome IS NULL
             RETURNING c.call_sid",
            &[
                text(&call.call_sid),
                text(&call.from.as_str()),
                text(&call.to.as_str()),
            ],
        )
        .await?;
    Ok(!accepted.is_empty())
}

/// The status callback says the forward of `call` was picked up: noted as `answered_at`, and when
/// the forward is not screened the call is settled `answered` in the same statement, so the poll
/// never asks Twilio about it. A screened pick-up proves nothing (voicemail picks up too), so it is
/// only noted. A settled outcome is never overturned.
pub async fn record_answered(
    db: &Client,
    call: &CallRef,
    screened: bool,
    by: ProcessedBy,
) -> Result<(), DbError> {
    db.query_typed(
        "INSERT INTO active_calls AS c (call_sid, from_number, to_number, screened, answered_at,
                 processed, processed_at, processed_by, outcome)
             VALUES ($1, $2, $3, $4, now(), NOT $4, CASE WHEN NOT $4 THEN now() END,
                     CASE WHEN NOT $4 THEN $5 END, CASE WHEN NOT $4 THEN 'answered' END)
             ON CONFLICT (call_sid) DO UPDATE SET
                 answered_at = COALESCE(c.answered_at, now()),
                 screened = c.screened OR $4,
                 processed = CASE WHEN c.outcome IS NULL AND NOT (c.screened OR $4)
                                  THEN true ELSE c.processed END,
                 processed_at = CASE WHEN c.outcome IS NULL AND NOT (c.screened OR $4)
                                     THEN now() ELSE c.processed_at END,
                 processed_by = CASE WHEN c.outcome IS NULL AND NOT (c.screened OR $4)
                                     THEN $5 ELSE c.processed_by END,
                 outcome = CASE WHEN c.outcome IS NULL AND NOT (c.screened OR $4)
                                THEN 'answered' ELSE c.outcome END",
        &[
            text(&call.call_sid),
            text(&call.from.as_str()),
            text(&call.to.as_str()),
            boolean(&screened),
            text(&by.as_str()),
        ],
    )
    .await?;
    Ok(())
}

/// Polling-only mode: Phase 2 notes what the dial did and leaves the call for the poll.
pub async fn record_dial_result(
    db: &Client,
    call: &CallRef,
    dial_status: &DialStatus,
) -> Result<(), DbError> {
    db.query_typed(
        "INSERT INTO active_calls AS c (call_sid, from_number, to_number, dial_call_status)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (call_sid) DO UPDATE SET dial_call_status = EXCLUDED.dial_call_status",
        &[
            text(&call.call_sid),
            text(&call.from.as_str()),
            text(&call.to.as_str()),
            text(&dial_status.as_str()),
        ],
    )
    .await?;
    Ok(())
}

/// Twilio shows no message for a text that may have gone out (a failure marked `sms_maybe_sent`,
/// or a claim a crash left in `sending`): the doubt is cleared and the text is owed now, so the
/// next claim sends it.
pub async fn record_not_sent(db: &Client, call_sid: &str) -> Result<(), DbError> {
    db.query_typed(
        "UPDATE active_calls
         SET outcome = 'owed', sms_maybe_sent = false, next_attempt_at = now()
         WHERE call_sid = $1 AND NOT processed AND (outcome = 'sending' OR sms_maybe_sent)",
        &[text(&call_sid)],
    )
    .await?;
    Ok(())
}

/// Settles a text whose send looked failed but went out after all, found at Twilio as
/// `message_sid`. A message already recorded on any call is not taken a second time.
pub async fn adopt_sent_message(
    db: &Client,
    call_sid: &str,
    message_sid: &str,
) -> Result<bool, DbError> {
    let adopted = db
        .query_typed(
            &format!(
                "UPDATE active_calls
                 SET outcome = 'texted', sms_sid = $2, sms_sent_at = now(), sms_maybe_sent = false,
                     processed = true, processed_at = now(), next_attempt_at = NULL,
                     lease_until = NULL, {}
                 WHERE call_sid = $1 AND outcome IN ('owed', 'sending')
                   AND NOT EXISTS (SELECT 1 FROM active_calls WHERE sms_sid = $2)
                 RETURNING call_sid",
                early_status("$2")
            ),
            &[text(&call_sid), text(&message_sid)],
        )
        .await?;
    Ok(!adopted.is_empty())
}

/// What a message status callback did to the call whose text it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRecord {
    /// The call's text now has this status.
    Recorded { call_sid: String },
    /// A repeat, or a status older than the one stored: left as it was.
    Unchanged { call_sid: String },
    /// No call has this MessageSid yet: kept in `early_message_statuses` for when one records it
    /// (a callback quicker than the statement that stores the SID, or a text the poll adopts
    /// later), or never (another sender on the account, a call already cleaned up).
    Unknown,
}

/// Records the latest status of the text `message_sid`. A status replaces only one of a lower
/// rank (`MessageStatus::rank`), in the same statement, so callbacks that arrive out of order or
/// twice never move it backwards. Without a call that has the SID, the status is kept aside by the
/// same rule. (A callback whose statement runs while `record_sms_sent` runs can still miss both;
/// it is a window of milliseconds.)
pub async fn record_message_status(
    db: &Client,
    message_sid: &str,
    status: &MessageStatus,
    error_code: Option<i32>,
) -> Result<StatusRecord, DbError> {
    let rank = status.rank();
    let delivered = status.is_delivered();
    let row = db
        .query_typed_one(
            "WITH updated AS (
                 UPDATE active_calls
                 SET sms_status = $2, sms_status_rank = $3, sms_error_code = $4,
                     sms_status_at = now(),
                     sms_delivered_at = CASE WHEN $5 THEN COALESCE(sms_delivered_at, now())
                                             ELSE sms_delivered_at END
                 WHERE sms_sid = $1 AND (sms_status_rank IS NULL OR sms_status_rank < $3)
                 RETURNING call_sid
             ), known AS (
                 SELECT call_sid FROM active_calls WHERE sms_sid = $1
             ), early AS (
                 INSERT INTO early_message_statuses AS e
                     (message_sid, sms_status, sms_status_rank, sms_error_code, delivered)
                 SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM known)
                 ON CONFLICT (message_sid) DO UPDATE SET
                     sms_status = EXCLUDED.sms_status,
                     sms_status_rank = EXCLUDED.sms_status_rank,
                     sms_error_code = EXCLUDED.sms_error_code,
                     delivered = e.delivered OR EXCLUDED.delivered,
                     received_at = now()
                 WHERE e.sms_status_rank < EXCLUDED.sms_status_rank
             )
             SELECT (SELECT call_sid FROM updated) AS updated, (SELECT call_sid FROM known) AS known",
            &[
                text(&message_sid),
                text(&status.as_str()),
                (&rank, Type::INT2),
                int4(&error_code),
                boolean(&delivered),
            ],
        )
        .await?;
    Ok(
        match (
            row.get::<_, Option<String>>("updated"),
            row.get::<_, Option<String>>("known"),
        ) {
            (Some(call_sid), _) => StatusRecord::Recorded { call_sid },
            (None, Some(call_sid)) => StatusRecord::Unchanged { call_sid },
            (None, None) => StatusRecord::Unknown,
        },
    )
}

/// Claims were lost on calls whose text is sent or in flight: one duplicate text prevented each,
/// counted on the call (the design document's "deduplication triggers"). A lost claim on a call
/// that was answered, or whose failed text is not yet due for a retry, prevented no duplicate.
pub async fn count_prevented_duplicate(db: &Client, call_sids: &[&str]) -> Result<(), DbError> {
    if call_sids.is_empty() {
        return Ok(());
    }
    db.query_typed(
        "UPDATE active_calls SET dedup_prevented = dedup_prevented + 1
         WHERE call_sid = ANY($1) AND outcome IN ('texted', 'sending')",
        &[(&call_sids, Type::TEXT_ARRAY)],
    )
    .await?;
    Ok(())
}

/// Texts that failed for good or were not delivered within the last hour: what the delivery
/// alert compares with its threshold. `random()` keeps Hyperdrive from answering it from its cache,
/// where a count a minute old could miss the failure that crosses the threshold.
pub async fn recent_delivery_failures(db: &Client) -> Result<i64, DbError> {
    let failures: Vec<String> = FAILURES.iter().map(ToString::to_string).collect();
    let row = db
        .query_typed_one(
            "SELECT count(*) AS failures, random() AS fresh FROM active_calls
             WHERE (outcome = 'failed' AND processed AND processed_at > now() - interval '1 hour')
                OR (sms_status = ANY($1) AND sms_status_at > now() - interval '1 hour')",
            &[(&failures, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(row.get("failures"))
}

/// The weekly cleanup: statuses of texts no call ever recorded (another sender's, or a deleted
/// call's) are kept as long as the calls are.
pub async fn delete_early_statuses(db: &Client, older_than_days: u32) -> Result<u64, DbError> {
    Ok(db
        .execute(
            "DELETE FROM early_message_statuses
             WHERE received_at < now() - make_interval(days => $1::int)",
            &[&(older_than_days as i32)],
        )
        .await?)
}
